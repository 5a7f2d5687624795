"""`parvis moderate FILE.jsonl`: one JSON line out per good line in, bad lines reported, never a crash."""

import io
import json
import select
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("moderate", str(path), *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def write(tmp_path, lines: list, raw: bytes = b""):
    path = tmp_path / "comments.jsonl"
    body = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines) + raw
    path.write_bytes(body)
    return path


def test_each_line_gets_labels_and_an_action(tmp_path):
    path = write(tmp_path, [
        json.dumps({"id": "c1", "text": "Je vais te tuer"}),
        json.dumps({"id": 2, "text": "À quelle heure ouvre la piscine ?", "network": "facebook"}),
        json.dumps({"id": "c3", "text": "Jolie photo", "author": "extra fields are ignored"}),
        json.dumps({"id": "c4", "text": "Le maire est un connard"}),
    ])
    rows, err = run(path)
    assert rows == [
        {"id": "c1", "labels": ["threat"], "action": "hide"},
        {"id": 2, "labels": ["question"], "action": "answer"},
        {"id": "c3", "labels": [], "action": "none"},
        {"id": "c4", "labels": ["insult"], "action": "review"},
    ]
    assert err == ""


def test_bad_lines_are_reported_with_their_number_and_skipped(tmp_path):
    path = write(tmp_path, [
        json.dumps({"id": 1, "text": "Bonjour"}),
        "pas du json",
        json.dumps({"text": "sans id"}),
        json.dumps({"id": 4}),
        json.dumps({"id": 5, "text": 12}),
        "[1, 2]",
        b"\xff\xfe invalid utf-8",
        "",
        json.dumps({"id": 9, "text": "Je vais te tuer", "network": ["x"]}),
        "[" * 100_000,
        json.dumps({"id": 11, "text": "Fin"}),
    ])
    rows, err = run(path)
    assert [r["id"] for r in rows] == [1, 11]
    for number, problem in [(2, "JSON invalide"), (3, "« id » manquant"), (4, "« text » manquant"),
                            (5, "« text » : texte attendu"), (6, "objet JSON est attendu"), (7, "UTF-8"),
                            (9, "« network »"), (10, "JSON invalide")]:
        assert f"ligne {number} : " in err and problem in err, (number, err)
    assert "ligne 8" not in err  # an empty line is not an error
    assert "8 ligne(s) ignorée(s)" in err


def test_action_overrides_allow_and_reasons(tmp_path):
    path = write(tmp_path, [json.dumps({"id": 1, "text": "Le maire est un connard"})])
    rows, _ = run(path, "--action", "insult=hide", "--reasons")
    assert rows[0]["action"] == "hide"
    assert rows[0]["reasons"]["insult"] == ["insulte « connard »"]
    rows, _ = run(path, "--allow", "connard")
    assert rows[0]["labels"] == []


def test_bad_option_and_missing_file_are_refused_in_french(tmp_path):
    path = write(tmp_path, [json.dumps({"id": 1, "text": "x"})])
    with pytest.raises(CommandError, match="LIBELLÉ=ACTION"):
        run(path, "--action", "insult=delete")
    with pytest.raises(CommandError, match="Impossible d'ouvrir"):
        run(tmp_path / "absent.jsonl")


def test_reads_stdin_and_streams(tmp_path):
    """`-` reads standard input; the first answer comes out before the input is closed."""
    env = {"PARVIS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "parvis.cli", "moderate", "-"], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        proc.stdin.write(json.dumps({"id": "a", "text": "Je vais te tuer"}).encode() + b"\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no answer while the input is still open"
        first = proc.stdout.readline()
        assert json.loads(first) == {"id": "a", "labels": ["threat"], "action": "hide"}
        proc.stdin.write(b"oops\n" + json.dumps({"id": "b", "text": "Merci"}).encode() + b"\n")
        proc.stdin.close()
        rest = proc.stdout.read().decode()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads(rest) == {"id": "b", "labels": [], "action": "none"}
    assert "ligne 2 : JSON invalide" in proc.stderr.read().decode()


def test_large_file_runs_in_bounded_memory(tmp_path):
    """20,000 lines go through; the command never holds the file."""
    path = tmp_path / "big.jsonl"
    with path.open("w") as f:
        for i in range(20_000):
            f.write(json.dumps({"id": i, "text": "Le lampadaire est en panne" if i % 2 else "Merci !"}) + "\n")
    rows, err = run(path)
    assert len(rows) == 20_000 and err == ""
    assert rows[1] == {"id": 1, "labels": ["complaint"], "action": "answer"}
