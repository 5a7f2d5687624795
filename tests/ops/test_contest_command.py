import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from parvis.domain.contests import draw

CONTEST = {
    "candidates": [
        {"number": 1, "handle": "@enza_berger", "name": "Enza Berger"},
        {"number": 2, "handle": "_loulalou_", "name": "Lou Lalou"},
        {"number": 3, "handle": "", "name": ""},
    ],
    "opens_at": "2026-05-02T10:00:00+02:00",
    "closes_at": "2026-05-09T20:00:00+02:00",
    "excluded_authors": ["villederoanne"],
    "mode": "last",
}

LINES = [
    {"id": "a", "author_id": "u1", "author_handle": "marie", "text": "le 2 !", "created_at": "2026-05-03T10:00:00+02:00", "parent_id": None},
    {"id": "b", "author_id": "u1", "author_handle": "marie", "text": "finalement @enza_berger", "created_at": "2026-05-03T09:00:00Z", "parent_id": None},
    "this is not json",
    {"id": "c", "author_id": "u2", "author_handle": "VilleDeRoanne", "text": "2", "created_at": "2026-05-03T10:00:00+02:00"},
    {"id": "d", "author_id": "u3", "author_handle": "paul", "text": "2", "created_at": "2026-05-09T18:00:01Z"},
    {"id": "e", "author_id": "u4", "author_handle": "jo", "text": "2", "created_at": "2026-05-04T10:00:00"},
    {"id": "f", "author_id": "u5", "author_handle": "lea", "text": "le 1 ou le 2", "created_at": "2026-05-04T10:00:00+02:00", "parent_id": "a"},
    {"id": "g", "author_id": "u6", "author_handle": "tom", "text": "2 enfants", "created_at": "2026-05-04T10:00:00+02:00"},
]


@pytest.fixture
def files(tmp_path):
    contest = tmp_path / "contest.json"
    contest.write_text(json.dumps(CONTEST))
    comments = tmp_path / "comments.jsonl"
    comments.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in LINES) + "\n")
    return tmp_path, contest, comments


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("contest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_tally_prints_one_json_object_and_reports_bad_lines(files):
    _tmp, contest, comments = files
    out, err = run("tally", "--contest", str(contest), str(comments))
    result = json.loads(out)
    assert result["totals"] == {"1": 1, "2": 0, "3": 0}
    assert result["comments"] == [
        {"id": "a", "vote": None, "reason": "superseded"},  # 10:00+02:00 is 08:00Z, before b's 09:00Z
        {"id": "b", "vote": 1, "reason": "counted"},
        {"id": "c", "vote": None, "reason": "excluded_author"},
        {"id": "d", "vote": None, "reason": "outside_window"},
        {"id": "f", "vote": None, "reason": "multiple_candidates"},
        {"id": "g", "vote": None, "reason": "no_designation"},
    ]
    assert "ligne 3" in err and "JSON invalide" in err
    assert "ligne 6" in err and "fuseau" in err


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "JSON invalide"),
        (json.dumps({**CONTEST, "candidates": []}), "candidates"),
        (json.dumps({**CONTEST, "closes_at": "2026-05-01T00:00:00Z"}), "closes_at"),
        (json.dumps({**CONTEST, "mode": "best"}), "mode"),
    ],
)
def test_bad_contest_file_exits_2_with_a_clear_error(files, content, message):
    tmp, _contest, comments = files
    bad = tmp / "bad.json"
    bad.write_text(content)
    with pytest.raises(CommandError, match=message) as exc:
        run("tally", "--contest", str(bad), str(comments))
    assert exc.value.returncode == 2


def test_missing_comments_file_exits_2(files):
    _tmp, contest, _comments = files
    with pytest.raises(CommandError, match="illisible") as exc:
        run("tally", "--contest", str(contest), "/nonexistent/comments.jsonl")
    assert exc.value.returncode == 2


def test_the_parvis_command_itself(files):
    _tmp, contest, comments = files
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "parvis.cli", "contest", "tally", "--contest", str(contest),
                           str(comments)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["1"] == 1
    assert "ligne 3" in done.stderr
    bad = subprocess.run([sys.executable, "-m", "parvis.cli", "contest", "tally", "--contest", str(comments),
                          str(comments)], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "JSON invalide" in bad.stderr


# --- draw -----------------------------------------------------------------------------------------------------


@pytest.fixture
def draw_files(tmp_path):
    seed = "graine-secrete-2026"
    config = {
        "opens_at": "2026-06-01T09:00:00+02:00",
        "closes_at": "2026-06-07T20:00:00+02:00",
        "excluded_authors": ["mairiearras"],
        "required_keywords": ["beffroi"],
        "winners": 2,
        "substitutes": 1,
        "seed_commitment": draw.commitment(seed),
    }
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(config))
    comments = tmp_path / "comments.jsonl"
    rows = [{"id": f"c{i}", "author_id": f"u{i % 12}", "author_handle": f"h{i % 12}",
             "text": "le beffroi" if i % 5 else "aucune idée", "created_at": "2026-06-02T10:00:00+02:00"}
            for i in range(40)]
    rows.append({"id": "org", "author_id": "u99", "author_handle": "MairieArras", "text": "beffroi",
                 "created_at": "2026-06-02T10:00:00+02:00"})
    comments.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return tmp_path, path, comments, seed


def test_draw_then_verify(draw_files):
    tmp, config, comments, seed = draw_files
    out, _err = run("draw", "--contest", str(config), str(comments), "--seed", seed)
    cert = json.loads(out)
    assert cert["algorithm"] == "parvis-draw-v1"
    assert cert["entrants_count"] == 12 and "u99" not in cert["entrants"]
    assert len(cert["winners"]) == 2 and len(cert["substitutes"]) == 1
    assert cert["seed_commitment"] == draw.commitment(seed)
    path = tmp / "cert.json"
    path.write_text(out)
    verified, _ = run("draw", "--verify", str(path))
    assert verified.startswith("OK")
    verified, _ = run("draw", "--verify", str(path), "--contest", str(config), str(comments))
    assert verified.startswith("OK")

    cert["winners"][0], cert["substitutes"][0] = cert["substitutes"][0], cert["winners"][0]
    path.write_text(json.dumps(cert))
    with pytest.raises(CommandError) as exc:
        run("draw", "--verify", str(path))
    assert exc.value.returncode == 1


def test_verify_names_what_differs(draw_files):
    tmp, config, comments, seed = draw_files
    out, _ = run("draw", "--contest", str(config), str(comments), "--seed", seed)
    cert = json.loads(out)
    cert["seed"] = "autre"
    path = tmp / "cert.json"
    path.write_text(json.dumps(cert))
    stdout = StringIO()
    with pytest.raises(CommandError):
        call_command("contest", "draw", "--verify", str(path), stdout=stdout, stderr=StringIO())
    assert "ÉCHEC" in stdout.getvalue() and "engagement publié" in stdout.getvalue()


def test_a_seed_that_does_not_match_the_commitment_is_refused(draw_files):
    _tmp, config, comments, _seed = draw_files
    with pytest.raises(CommandError, match="engagement") as exc:
        run("draw", "--contest", str(config), str(comments), "--seed", "pas-la-bonne")
    assert exc.value.returncode == 2


def test_commit_prints_a_seed_and_its_commitment():
    out, _ = run("draw", "--commit")
    data = json.loads(out)
    assert draw.commitment(data["seed"]) == data["seed_commitment"] and len(data["seed"]) == 64
