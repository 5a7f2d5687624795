import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parvis.publishing.management.commands.check import Command

PARVIS = Path(sys.executable).parent / "parvis"


def run_check(*args, **options):
    out = io.StringIO()
    code = 0
    try:
        call_command("check", *args, stdout=out, stderr=io.StringIO(), **options)
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


def test_the_command_extends_djangos_check():
    from django.core.management import get_commands, load_command_class
    from django.core.management.commands.check import Command as DjangoCheck

    assert issubclass(Command, DjangoCheck)
    assert get_commands()["check"] == "parvis.publishing"
    assert isinstance(load_command_class("parvis.publishing", "check"), DjangoCheck)


def test_django_checks_still_run():
    out = io.StringIO()
    call_command("check", "--list-tags", stdout=out)
    tags = out.getvalue().split()
    assert "models" in tags and "urls" in tags


def test_ok_text():
    code, result = run_check("Conseil", "municipal", "ce", "soir", "à", "19 h", network="x")
    assert code == 0
    assert result == {"network": "x", "length": 32, "limit": 280, "ok": True, "problems": []}


def test_length_is_counted_as_the_network_counts():
    _, x = run_check("Voir https://arras.fr/un/long/chemin/vers/le/programme 🇫🇷", network="x")
    _, bluesky = run_check("Voir https://arras.fr/un/long/chemin/vers/le/programme 🇫🇷", network="bluesky")
    _, threads = run_check("🇫🇷", network="threads")
    assert (x["length"], bluesky["length"], threads["length"]) == (31, 56, 8)


def test_too_long_text_is_not_ok():
    code, result = run_check("a" * 312, network="x")
    assert code == 1
    assert result["ok"] is False
    assert result["length"] == 312
    [problem] = result["problems"]
    assert problem["code"] == "text_too_long"
    assert (
        problem["message"]
        == "Texte trop long pour X : 312 caractères comptés comme X les compte, 280 au maximum."
    )


@pytest.mark.parametrize("network", ["instagram", "tiktok", "youtube", "snapchat"])
def test_media_required_networks_report_it(network):
    code, result = run_check("Bonjour", network=network)
    assert code == 1
    assert "media_required" in [p["code"] for p in result["problems"]]


def test_warnings_do_not_make_it_fail():
    code, result = run_check("Fête ce soir 🎉🎶☀️🎸 #fetedelamusique", network="mastodon")
    assert code == 0
    assert result["ok"] is True
    assert sorted(p["code"] for p in result["problems"]) == ["hashtag_not_camelcase", "many_emojis"]
    assert {p["severity"] for p in result["problems"]} == {"warning"}


def test_text_from_file(tmp_path):
    path = tmp_path / "post.txt"
    path.write_text("Réunion publique 👨‍👩‍👧‍👦\n", encoding="utf-8")
    code, result = run_check(network="bluesky", file=str(path))
    assert code == 0
    assert result["length"] == 18  # the final newline is not counted


def test_network_name_is_case_insensitive():
    assert run_check("a", network="Mastodon")[1]["network"] == "mastodon"


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"network": "myspace"}, "Réseaux possibles : facebook, instagram, threads"),
        ({"network": "x", "file": "/nonexistent/post.txt"}, "Fichier introuvable"),
        ({"file": "post.txt"}, "--network"),
    ],
)
def test_usage_errors_exit_2(options, fragment):
    with pytest.raises(CommandError, match=fragment) as exc:
        call_command("check", stdout=io.StringIO(), **options)
    assert exc.value.returncode == 2


def test_file_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Fête à Évry".encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8") as exc:
        call_command("check", network="x", file=str(path), stdout=io.StringIO())
    assert exc.value.returncode == 2


def test_text_and_file_together_is_an_error(tmp_path):
    path = tmp_path / "post.txt"
    path.write_text("a", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("check", "b", network="x", file=str(path), stdout=io.StringIO())
    assert exc.value.returncode == 2


def test_installation_limits_apply(settings):
    settings.NETWORK_LIMIT_OVERRIDES = '{"mastodon": {"max_chars": 1000}}'
    code, result = run_check("a" * 800, network="mastodon")
    assert (code, result["limit"], result["ok"]) == (0, 1000, True)


def test_bad_installation_limits_are_a_usage_error(settings):
    settings.NETWORK_LIMIT_OVERRIDES = '{"mastodon": {"max_charz": 1000}}'
    with pytest.raises(CommandError, match="max_charz") as exc:
        call_command("check", "a", network="mastodon", stdout=io.StringIO())
    assert exc.value.returncode == 2


# Through the installed `parvis` entry point, as an operator or a script would run it.


@pytest.fixture
def parvis(tmp_path):
    if not PARVIS.exists():
        pytest.skip(f"the `parvis` entry point is not installed next to {sys.executable} (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARVIS_")}
    env["PARVIS_DATA_DIR"] = str(tmp_path / "data")
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def run(*args):
        return subprocess.run(
            [str(PARVIS), "check", *args], capture_output=True, text=True, env=env, timeout=60
        )

    return run


def test_subprocess_ok(parvis):
    proc = parvis("--network", "bluesky", "Bonjour", "Arras")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "network": "bluesky",
        "length": 13,
        "limit": 300,
        "ok": True,
        "problems": [],
    }


def test_subprocess_not_ok(parvis):
    proc = parvis("--network", "x", "a" * 281)
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert (result["ok"], result["length"]) == (False, 281)


def test_subprocess_file(parvis, tmp_path):
    path = tmp_path / "post.txt"
    path.write_text("Merci @alice@mastodon.social !", encoding="utf-8")
    proc = parvis("--network", "mastodon", "--file", str(path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["length"] == 14


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--network", "myspace", "a"], "Réseaux possibles"),
        (["--network", "x", "--file", "/nonexistent/post.txt"], "Fichier introuvable"),
    ],
)
def test_subprocess_usage_errors(parvis, args, fragment):
    proc = parvis(*args)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert proc.stdout == ""


def test_subprocess_deploy_checks_still_run(parvis):
    proc = parvis("--deploy", "--tag", "security", "--fail-level", "CRITICAL")
    assert proc.returncode == 0, proc.stderr
    assert "security.W" in proc.stderr + proc.stdout
