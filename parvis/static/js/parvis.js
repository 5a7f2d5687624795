// Composer: a variant typed by hand stops following the main text; a button brings it back.
document.addEventListener("input", function (event) {
  var id = event.target.getAttribute && event.target.getAttribute("data-variant");
  if (id) {
    var flag = document.getElementById("edited-" + id);
    if (flag) flag.value = "1";
  }
});
document.addEventListener("click", function (event) {
  var id = event.target.getAttribute && event.target.getAttribute("data-reset-variant");
  if (!id || !window.htmx) return;
  var flag = document.getElementById("edited-" + id);
  if (flag) flag.value = "0";
  var body = document.getElementById("id_body");
  htmx.ajax("POST", body.getAttribute("hx-post"), {source: "#compose-form", target: "#variant-cards", swap: "innerHTML"});
});
// Copy buttons (approval link, iCal address).
document.addEventListener("click", function (event) {
  var target = event.target.getAttribute && event.target.getAttribute("data-copy");
  if (!target || !navigator.clipboard) return;
  var input = document.getElementById(target);
  navigator.clipboard.writeText(input.value).then(function () {
    event.target.textContent = event.target.getAttribute("data-copied") || "Copié";
  });
});
