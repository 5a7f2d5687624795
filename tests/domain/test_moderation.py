"""Moderation classifier: hard cases on both sides of every label, safety on hostile input."""

import time

import pytest

from parvis.domain.moderation import DEFAULT_ACTIONS, HIDE_LABELS, LABELS, Verdict, classify
from parvis.domain.moderation.normalise import MAX_CHARS, fold, tokenize

# (text, labels that must be present, labels that must be absent)
CASES = [
    # --- Criticism of public action stays visible -------------------------------------------------
    ("Cette mairie est incompétente, les travaux sont un scandale", {"complaint"}, {"insult", "hate"}),
    ("Le lampadaire de ma rue est en panne depuis des semaines", {"complaint"}, HIDE_LABELS),
    ("Les ordures ne sont pas ramassées depuis dix jours, inadmissible", {"complaint"}, {"insult"}),
    ("Quelle gestion lamentable de l'argent public", {"complaint"}, HIDE_LABELS | {"insult"}),
    ("Il y a un nid de poule énorme rue Victor Hugo", {"complaint"}, HIDE_LABELS),
    ("Ce projet est nul et coûte une fortune", {"complaint"}, HIDE_LABELS | {"insult"}),
    # --- Substrings are not words -------------------------------------------------------------------
    ("Le concert de jeudi était génial", set(), {"insult", "hate"}),
    ("Le député est réputé pour sa technique", set(), {"insult", "hate"}),
    ("Les députés ont voté le budget hier", set(), {"insult", "hate", "electoral"}),
    ("La technique de la nouvelle chaussée est étonnante", set(), {"insult"}),
    ("La salle des fêtes est réservée samedi", set(), {"hate", "insult"}),
    ("Je vais prendre le bus pour venir", set(), {"threat"}),
    ("Le stationnement payant tue le commerce du centre-ville", set(), {"threat"}),
    ("La mort a emporté notre ancien maire, pensées à sa famille", set(), {"threat"}),
    # --- Insults, with obfuscation ----------------------------------------------------------------------
    ("Le maire est un connard", {"insult"}, {"hate"}),
    ("c o n n a r d", {"insult"}, set()),
    ("Espèce de connnnnard", {"insult"}, set()),
    ("Tu es une ordure", {"insult"}, set()),
    ("Va te faire foutre", {"insult"}, set()),
    ("Bande de bouffons", {"insult"}, set()),
    ("c.o.n.n.a.r.d", {"insult"}, set()),
    ("con\u200bnard", {"insult"}, set()),
    ("J'ai été un vrai con avec elle, désolé", set(), {"insult"}),
    ("Putain, quelle journée", set(), {"insult", "hate"}),
    ("Il m'a traité de connard, c'est inacceptable", set(), {"insult"}),
    # --- Hate: group + hostility ------------------------------------------------------------------
    ("Les musulmans sont des parasites", {"hate"}, set()),
    ("Je déteste les homos", {"hate"}, set()),
    ("Les réfugiés sont un cancer pour notre pays", {"hate"}, set()),
    ("Les femmes sont toutes des idiotes", {"hate"}, set()),
    ("Les noirs n'ont rien à faire dans ce pays", {"hate"}, set()),
    ("Les handicapés ne méritent pas de vivre", {"hate"}, set()),
    ("Les tr4ns sont des p0urritures", {"hate"}, set()),
    ("Les f e m m e s sont dégueulasses", {"hate"}, set()),
    ("Les migrants sont des odrures", {"hate"}, set()),
    ("Jedéteste les musulmans", {"hate"}, set()),
    ("Les juifs pensent qu'ils sont importants. Je les déteste.", {"hate"}, set()),
    ("Je n'ai rien contre les homos mais la plupart d'entre eux sont dégueulasses", {"hate"}, set()),
    ("Pourquoi ne pas se débarrasser des réfugiés une fois pour toutes ?", {"hate"}, {"question"}),
    ("Sale bougnoule", {"hate"}, set()),
    ("Bande de pd", {"hate"}, set()),
    ("Mon chien est plus intelligent que n'importe quel migrant", {"hate"}, set()),
    # --- Not hate: neutral, positive, negated, counter-speech, quotes ------------------------------
    ("Je vis avec deux musulmans", set(), {"hate"}),
    ("Les femmes sont formidables", set(), {"hate"}),
    ("Je ne déteste pas les homos", set(), {"hate"}),
    ("Les réfugiés ne sont pas une menace pour la civilisation", set(), {"hate"}),
    ("Les femmes sont tout sauf stupides", set(), {"hate"}),
    ("Aucun trans ne mérite de mourir", set(), {"hate", "threat"}),
    ("Dire que les musulmans sont des parasites est une honte", set(), {"hate"}),
    ("Arrêtez de traiter les migrants de cafards", set(), {"hate"}),
    ('Si vous dites "je déteste les juifs", vous êtes raciste', set(), {"hate"}),
    ("Il a écrit « les noirs sont des singes », je l'ai signalé", set(), {"hate"}),
    ("Les femmes se font assassiner et personne ne réagit", set(), {"hate", "threat"}),
    ("Deux réfugiés ont été tués dans l'accident", set(), {"hate", "threat"}),
    ("La rue est dangereuse pour les enfants handicapés", set(), {"hate"}),
    ("Ma femme est malade, pas de réunion ce soir", set(), {"hate"}),
    ("Les femmes atteintes d'un cancer du sein sont mal soignées", set(), {"hate"}),
    ("Je hais les lundis", set(), {"hate"}),
    ("Les boulangers sont les pires", set(), {"hate"}),
    ("Je suis pédé et fier de l'être", set(), {"hate"}),
    ("Fils de pute, comment c'est possible ?", set(), {"hate"}),
    # --- Threats ------------------------------------------------------------------------------------
    ("Je vais te tuer", {"threat"}, set()),
    ("Je sais où tu habites", {"threat"}, set()),
    ("Je vais lui trancher la gorge", {"threat"}, set()),
    ("Le maire devrait être pendu", {"threat"}, set()),
    ("Tu vas crever", {"threat"}, set()),
    ("Mort aux élus !", {"threat"}, set()),
    ("Le monde se porterait mieux sans toi", {"threat"}, set()),
    ("Je vais tuer tous les juifs", {"threat", "hate"}, set()),
    ("Je ne vais pas te tuer, calme-toi", set(), {"threat"}),
    ("Éradiquons les mauvaises herbes du jardin partagé", set(), {"threat"}),
    ("On devrait juste pendre tous ces tableaux", set(), {"threat"}),
    # --- Personal data ------------------------------------------------------------------------------
    ("Appelez-moi au 06 12 34 56 78", {"personal_data"}, set()),
    ("Mon numéro : +33 6 12 34 56 78", {"personal_data"}, set()),
    ("Son numéro c'est 0612345678", {"personal_data"}, set()),
    ("Écrivez à jean.dupont@gmail.com", {"personal_data"}, set()),
    ("jean point dupont arobase gmail point com", {"personal_data"}, set()),
    ("Elle habite au 12 rue des Lilas", {"personal_data"}, set()),
    ("La voiture AB-123-CD est toujours garée sur le trottoir", {"personal_data"}, set()),
    ("Mon voisin a un cancer, il ne peut plus sortir ses poubelles", {"personal_data"}, set()),
    ("Elle est séropositive, tout le monde le sait", {"personal_data"}, set()),
    ("Les travaux du 14 rue Jean Jaurès bloquent la circulation", set(), {"personal_data"}),
    ("Rendez-vous le 12 mai 2026 à 18 h", set(), {"personal_data"}),
    ("Le budget est de 1 250 000 euros", set(), {"personal_data"}),
    ("La lutte contre le cancer est une priorité", set(), {"personal_data"}),
    # --- Spam -------------------------------------------------------------------------------------------
    ("Gagnez 500 euros par jour depuis chez vous https://bit.ly/abc", {"spam"}, set()),
    ("Prêt entre particuliers sans frais de dossier, contactez-moi", {"spam"}, set()),
    ("Code promo sur notre boutique https://super-promo.shop", {"spam"}, set()),
    ("https://a.com https://b.com https://c.com", {"spam"}, set()),
    ("Votez votez votez votez votez votez votez votez votez votez votez votez votez", {"spam"}, set()),
    ("😂" * 40, {"spam"}, set()),
    ("Les horaires sont sur https://www.service-public.fr", set(), {"spam"}),
    ("Article intéressant : https://www.ouest-france.fr/article", set(), {"spam"}),
    # --- Electoral -----------------------------------------------------------------------------------
    ("Votez pour la liste Dupont dimanche !", {"electoral"}, set()),
    ("Ne votez pas pour ce maire incapable", {"electoral"}, set()),
    ("Faites barrage à l'extrême droite", {"electoral"}, set()),
    ("Votez Martin !", {"electoral"}, set()),
    ("Allez voter dimanche, c'est important", set(), {"electoral"}),
    ("Le conseil a voté pour la rénovation du gymnase", set(), {"electoral"}),
    ("Votez pour votre projet préféré du budget participatif", set(), {"electoral"}),
    # --- Questions, rhetorical questions ---------------------------------------------------------------
    ("À quelle heure ouvre la piscine samedi ?", {"question"}, set()),
    ("Est-ce que le marché est maintenu s'il pleut", {"question"}, set()),
    ("Bonjour, où peut-on déposer les encombrants ?", {"question"}, set()),
    ("Je voudrais savoir quand passent les poubelles", {"question"}, set()),
    ("N'est-ce pas évident que le maire se moque de nous ?", set(), {"question"}),
    ("Vous vous foutez de nous ?", set(), {"question"}),
    ("C'est normal que la rue soit toujours pas éclairée ?", {"complaint"}, {"question"}),
    ("Comment pouvez-vous accepter ça ?", set(), {"question"}),
    # --- Off topic ---------------------------------------------------------------------------------
    ("Jésus vous aime, repentez-vous avant la fin des temps", {"off_topic"}, HIDE_LABELS),
    ("Merci pour ce beau feu d'artifice !", set(), set(LABELS)),
]


@pytest.mark.parametrize("text, present, absent", CASES, ids=[c[0][:50] for c in CASES])
def test_labels(text, present, absent):
    verdict = classify(text)
    labels = set(verdict.labels)
    assert present <= labels, (verdict.labels, verdict.reasons)
    assert not (labels & (absent - present)), (verdict.labels, verdict.reasons)


def test_enough_hard_cases():
    assert len(CASES) >= 80
    assert sum(1 for _, p, _ in CASES if not p) >= 30  # as many cases that must stay clean


@pytest.mark.parametrize(
    "text, action",
    [
        ("Les musulmans sont des parasites", "hide"),
        ("Je vais te tuer", "hide"),
        ("Appelez-moi au 06 12 34 56 78", "hide"),
        ("Gagnez 500 euros par jour https://bit.ly/x", "hide"),
        ("Le maire est un connard", "review"),
        ("Votez pour la liste Dupont", "review"),
        ("À quelle heure ouvre la piscine ?", "answer"),
        ("Le lampadaire est en panne", "answer"),
        ("Le maire est un connard, à quelle heure ouvre la mairie ?", "review"),
        ("Jolie photo", "none"),
    ],
)
def test_default_actions(text, action):
    assert classify(text).action == action


def test_every_label_has_a_default_action():
    assert set(DEFAULT_ACTIONS) == set(LABELS)
    assert HIDE_LABELS == {"hate", "threat", "personal_data", "spam"}


def test_authority_overrides_actions():
    assert classify("Le maire est un connard", actions={"insult": "hide"}).action == "hide"
    assert classify("Votez pour la liste Dupont", actions={"electoral": "none"}).action == "none"
    assert classify("Jésus vous aime, repentez-vous", actions={"off_topic": "review"}).action == "review"


@pytest.mark.parametrize("actions", [{"insulte": "hide"}, {"insult": "delete"}])
def test_bad_action_override_is_refused_in_french(actions):
    with pytest.raises(ValueError, match="libellé inconnu|n'existe pas"):
        classify("bonjour", actions=actions)


def test_reasons_name_the_rule_in_french():
    verdict = classify("Les réfugiés sont des cafards et je vais te tuer, appelle le 06 12 34 56 78")
    assert isinstance(verdict, Verdict)
    assert set(verdict.reasons) == set(verdict.labels)
    assert any("groupe visé" in r and "cafards" in r for r in verdict.reasons["hate"])
    assert any("tuer" in r for r in verdict.reasons["threat"])
    assert verdict.reasons["personal_data"] == ["numéro de téléphone"]  # the number itself is not echoed


def test_labels_come_in_a_stable_order():
    verdict = classify("Je vais te tuer, espèce de connard, à quelle heure tu sors ?")
    assert list(verdict.labels) == [label for label in LABELS if label in verdict.labels]


def test_allow_list_masks_a_word_and_accepts_a_domain():
    assert "insult" in classify("Le maire est un connard").labels
    assert "insult" not in classify("Le maire est un connard", allow=["connard"]).labels
    # The town's own shop is a related site.
    text = "Réduction à la boutique du musée https://boutique.ville-exemple.fr"
    assert "spam" in classify(text).labels
    assert "spam" not in classify(text, allow=["ville-exemple.fr"]).labels


def test_deny_list_adds_words_labels_and_domains():
    assert classify("Encore ce Gérard !", deny=["gérard"]).labels == ("insult",)
    assert classify("Encore ce Gérard !", deny=[("spam", "gérard")]).labels == ("spam",)
    assert "spam" in classify("Voir https://arnaque.example.com/x", deny=["arnaque.example.com"]).labels
    with pytest.raises(ValueError, match="libellé inconnu"):
        classify("x", deny=[("bad", "x")])


def test_network_own_links_are_not_external():
    text = "Code promo https://www.facebook.com/events/1 https://x.com/a https://youtu.be/b"
    assert "liens vers des sites extérieurs" not in " ".join(classify(text, network="facebook").reasons.get("spam", []))


# --- Normalisation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "word, folded",
    [("Connard", "connard"), ("ÉCŒURANT", "ecoeurant"), ("pu7e", "pute"), ("m3rde", "merde"),
     ("connnnnard", "connard"), ("𝐜𝐨𝐧𝐧𝐚𝐫𝐝", "connard"), ("ｃｏｎ", "con"), ("2026", "2026")],
)
def test_fold(word, folded):
    from parvis.domain.moderation.normalise import clean

    assert fold(clean(word)) == folded


def test_spaced_letters_are_joined_but_not_short_words():
    assert [t.text for t in tokenize("Je d é t e s t e les gens")] == ["je", "deteste", "les", "gens"]
    assert [t.text for t in tokenize("il y a du monde")] == ["il", "y", "a", "du", "monde"]


# --- Untrusted input ----------------------------------------------------------------------------------
ADVERSARIAL = [
    "a" * 100_000,
    "a." * 50_000,
    "a@" * 50_000,
    "http://" + "a." * 49_990,
    "ne " * 33_000,
    "c o n " * 16_000,
    "les femmes sont des ordures. " * 3_400,
    '"' * 100_000,
    "«" * 50_000 + "»" * 50_000,
    "\u200b" * 100_000,
    "😀" * 100_000,
    "\x00\x01\x02\x1b[31m" * 20_000,
    "0" * 100_000,
    "06 " * 33_000,
    "aaaaaaaaaa@" * 9_000 + "b",
    ("x" * 300 + " ") * 330,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=[repr(t[:12]) for t in ADVERSARIAL])
def test_hostile_input_is_classified_in_linear_time(text):
    assert len(text) >= 90_000
    start = time.perf_counter()
    verdict = classify(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    assert verdict.action in ("hide", "review", "answer", "none")


def test_oversized_text_is_flagged_as_flood():
    verdict = classify("Bonjour. " * (MAX_CHARS // 9 + 10))
    assert "spam" in verdict.labels
    assert "démesuré" in verdict.reasons["spam"][0]


@pytest.mark.parametrize("text", ["", " ", "\n\n", "?", "!!!", "\x00", "\ud800", "‮gnirts desrever", "🇫🇷👨‍👩‍👧"])
def test_degenerate_input(text):
    verdict = classify(text)
    assert verdict.labels == ()
    assert verdict.action == "none"


def test_not_a_string_is_refused():
    with pytest.raises(TypeError):
        classify(None)  # type: ignore[arg-type]


HATECHECK = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "data" / "hatecheck"


@pytest.mark.skipif(not (HATECHECK / "hatecheck_cases_final_french.csv").exists(), reason="HateCheck absent")
def test_hatecheck_goals_hold():
    """Röttger et al., Multilingual HateCheck (2022), CC-BY-4.0, read where it lies."""
    import importlib.util

    path = __import__("pathlib").Path(__file__).resolve().parents[2] / "bench" / "moderation_quality.py"
    spec = importlib.util.spec_from_file_location("moderation_quality", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.measure(HATECHECK / "hatecheck_cases_final_french.csv")
    assert result["hateful_labelled_hate"] >= 0.80
    assert result["non_hateful_hidden"] <= 0.10
    # Counter-speech and quotations of hate are never hidden.
    assert result["functionalities"]["counter_quote_nh"]["hidden"] <= 0.05
