import copy
import hashlib
import hmac
import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from parvis.domain.contests import draw
from parvis.domain.contests.votes import ContestError

ENTRANTS = [f"u{i}" for i in range(1, 51)]
SEED = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def test_commitment_is_the_sha256_of_the_seed():
    assert draw.commitment("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_entrants_digest_is_documented_json_array_sha256():
    payload = '["u1","u2","é"]'.encode()
    assert draw.entrants_digest(["u1", "u2", "é"]) == "sha256:" + hashlib.sha256(payload).hexdigest()


def test_first_block_is_hmac_of_counter_zero():
    # The documented stream, computed independently: first pick among 50 from block 0.
    block = int.from_bytes(hmac.new(SEED.encode(), (0).to_bytes(8, "big"), hashlib.sha256).digest(), "big")
    assert block < (1 << 256) - ((1 << 256) % 50)  # not rejected
    assert draw.shuffle_prefix(sorted(ENTRANTS), SEED, 1) == [sorted(ENTRANTS)[block % 50]]


def test_draw_is_deterministic_and_independent_of_input_order():
    one = draw.run_draw(ENTRANTS, SEED, winners=3, substitutes=2)
    two = draw.run_draw(list(reversed(ENTRANTS)) + ["u7"], SEED, winners=3, substitutes=2)
    assert one == two
    assert len(set(one["winners"] + one["substitutes"])) == 5
    assert one["entrants_count"] == 50


def test_another_seed_gives_another_draw():
    results = {tuple(draw.run_draw(ENTRANTS, f"seed-{i}", winners=3)["winners"]) for i in range(20)}
    assert len(results) == 20


def test_each_entrant_wins_about_equally_often():
    wins = Counter(draw.run_draw(ENTRANTS[:5], f"s{i}", winners=1)["winners"][0] for i in range(5000))
    assert set(wins) == set(ENTRANTS[:5])
    assert all(850 < n < 1150 for n in wins.values()), wins


def test_fewer_entrants_than_places():
    cert = draw.run_draw(["a", "b"], SEED, winners=1, substitutes=5)
    assert len(cert["winners"]) == 1 and len(cert["substitutes"]) == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"entrants": [], "seed": SEED}, "Aucun participant"),
        ({"entrants": ENTRANTS, "seed": ""}, "graine"),
        ({"entrants": ENTRANTS, "seed": SEED, "winners": 0}, "gagnants"),
        ({"entrants": ENTRANTS, "seed": SEED, "substitutes": -1}, "suppléants"),
        ({"entrants": ENTRANTS, "seed": SEED, "seed_commitment": "00" * 32}, "engagement"),
    ],
)
def test_draw_errors(kwargs, message):
    entrants, seed = kwargs.pop("entrants"), kwargs.pop("seed")
    with pytest.raises(draw.DrawError, match=message):
        draw.run_draw(entrants, seed, **kwargs)


def certificate():
    return draw.run_draw(ENTRANTS, SEED, winners=2, substitutes=2, seed_commitment=draw.commitment(SEED),
                         handles={"u1": "marie"})


def test_a_genuine_certificate_verifies():
    cert = json.loads(json.dumps(certificate()))
    assert draw.verify_certificate(cert) == []
    assert draw.verify_certificate(cert, ENTRANTS) == []
    assert cert["seed_commitment"] == draw.commitment(SEED)


def test_tampered_winner_is_detected():
    cert = certificate()
    intruder = next(e for e in ENTRANTS if e not in cert["winners"] + cert["substitutes"])
    cert["winners"][0] = intruder
    problems = draw.verify_certificate(cert)
    assert len(problems) == 1 and "Gagnant n°1" in problems[0] and intruder in problems[0]


def test_swapped_substitutes_are_detected():
    cert = certificate()
    cert["substitutes"].reverse()
    problems = draw.verify_certificate(cert)
    assert [p.split(" :")[0] for p in problems] == ["Suppléant n°1", "Suppléant n°2"]


def test_seed_not_matching_the_commitment_is_detected():
    cert = certificate()
    cert["seed"] = "another seed"
    problems = draw.verify_certificate(cert)
    assert any("engagement publié" in p for p in problems)


def test_changed_entrant_list_is_detected_by_its_digest():
    cert = certificate()
    cert["entrants"] = sorted([*cert["entrants"][1:], "u999"])
    problems = draw.verify_certificate(cert)
    assert any("empreinte" in p for p in problems)


def test_list_and_digest_both_rewritten_is_caught_against_the_comments():
    cert = certificate()
    forged = sorted(e for e in ENTRANTS if e != "u1")
    cert.update(entrants=forged, entrants_count=len(forged), entrants_digest=draw.entrants_digest(forged))
    cert.update(winners=draw.shuffle_prefix(forged, SEED, 4)[:2], substitutes=draw.shuffle_prefix(forged, SEED, 4)[2:])
    assert draw.verify_certificate(cert) == []  # self-consistent forgery…
    problems = draw.verify_certificate(cert, ENTRANTS)  # …but not what the comments give
    assert len(problems) == 1 and "absents du certificat : u1" in problems[0]


def test_wrong_count_and_unknown_algorithm():
    cert = certificate()
    cert["entrants_count"] = 49
    assert any("Nombre de participants" in p for p in draw.verify_certificate(cert))
    cert = copy.deepcopy(certificate())
    cert["algorithm"] = "parvis-draw-v0"
    assert "inconnu" in draw.verify_certificate(cert)[0]


# --- eligibility ----------------------------------------------------------------------------------------------

CONFIG = draw.draw_config_from_dict({
    "opens_at": "2026-06-01T09:00:00+02:00",
    "closes_at": "2026-06-07T20:00:00+02:00",
    "excluded_authors": ["@MairieArras"],
    "required_keywords": ["beffroi", "Hôtel de ville"],
    "winners": 2,
    "substitutes": 1,
})


def c(cid, author, text, at="2026-06-02T10:00:00+02:00", handle=None):
    return {"id": cid, "author_id": author, "author_handle": handle or f"h{author}", "text": text, "created_at": at}


@pytest.mark.parametrize(
    "comments, entrants, reasons",
    [
        ([c("a", "u1", "Le Beffroi !")], ["u1"], ["entered"]),
        ([c("a", "u1", "hotel de ville")], ["u1"], ["entered"]),
        ([c("a", "u1", "la cathédrale")], [], ["missing_keyword"]),
        ([c("a", "u1", "beffrois")], [], ["missing_keyword"]),  # whole words only
        ([c("a", "u1", "beffroi", handle="mairiearras")], [], ["excluded_author"]),
        ([c("a", "u1", "beffroi", at="2026-06-07T18:00:00Z")], [], ["outside_window"]),
        # one entry per account: the earliest eligible comment
        ([c("a", "u1", "beffroi", at="2026-06-03T10:00:00+02:00"), c("b", "u1", "beffroi", at="2026-06-02T10:00:00+02:00")],
         ["u1"], ["duplicate_entry", "entered"]),
        ([c("a", "u2", "beffroi"), c("b", "u1", "beffroi")], ["u1", "u2"], ["entered", "entered"]),
    ],
)
def test_eligibility(comments, entrants, reasons):
    result = draw.eligible_entrants(CONFIG, comments)
    assert result.entrants == entrants
    assert [r for _i, r in result.decisions] == reasons


def test_without_required_keywords_any_comment_enters():
    config = draw.DrawConfig(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC))
    assert draw.eligible_entrants(config, [c("a", "u1", "")]).entrants == ["u1"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"winners": 0}, "winners"),
        ({"substitutes": -1}, "substitutes"),
        ({"seed_commitment": "abc"}, "seed_commitment"),
        ({"required_keywords": [""]}, "required_keywords"),
        ({"closes_at": "2026-05-01T00:00:00Z"}, "postérieure"),
    ],
)
def test_draw_config_errors(change, field):
    data = {"opens_at": "2026-06-01T09:00:00+02:00", "closes_at": "2026-06-07T20:00:00+02:00", **change}
    with pytest.raises(ContestError, match=field):
        draw.draw_config_from_dict(data)
