import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from parvis.domain.contests.votes import (
    MULTIPLE,
    Candidate,
    Contest,
    ContestError,
    Designator,
    contest_from_dict,
    fold,
    tally,
    utc_instant,
)

CANDIDATES = [
    Candidate(1, "@enza_berger", "Enza Berger", ("Enza",)),
    Candidate(2, "_loulalou_", "Lou Lalou"),
    Candidate(3, "jb.music", "Jean-Baptiste Élodie"),
    *(Candidate(n) for n in range(4, 11)),
]
DESIGNATOR = Designator(CANDIDATES)


@pytest.mark.parametrize(
    "text, expected",
    [
        # Digits and vote tokens
        ("2", 2),
        ("2 !", 2),
        ("le 2", 2),
        ("Le 2 !!", 2),
        ("n°2", 2),
        ("N° 2", 2),
        ("nº2", 2),  # masculine ordinal indicator typed for the degree sign
        ("numéro 2", 2),
        ("NUMERO 2", 2),
        ("#2", 2),
        ("vote 2", 2),
        ("Je vote pour le 2", 2),
        ("team 2", 2),
        ("#team2", 2),
        ("Allez, 2 !", 2),
        ("2 c'est le meilleur", 2),
        ("Mon vote : 2", 2),
        ("le 10", 10),
        ("10/10 pour le 2", 2),  # the rating is not a vote, "le 2" is
        # Keycaps
        ("2️⃣", 2),
        ("2\u20e3🔥", 2),  # keycap without the variation selector
        ("🔟", 10),
        ("1️⃣0️⃣", 10),
        # Spelled numbers
        ("le deux", 2),
        ("Deux !", 2),
        ("vote trois", 3),
        ("numéro un", 1),
        ("le un", 1),
        ("un", 0),  # the article alone
        ("un super candidat", 0),
        ("Un grand bravo à tous", 0),
        ("les deux", 0),  # both
        ("deux enfants", 0),
        ("le deux mai", 0),
        ("chacun son vote", 0),  # "un" inside a word
        ("le sixième", 0),
        # Handles and names
        ("@enza_berger", 1),
        ("ENZA_BERGER 🔥", 1),
        ("enza_berger", 1),
        ("@_loulalou_", 2),
        ("@jb.music.", 3),  # the final period ends the sentence
        ("@jb.music.fan", 0),  # a longer handle
        ("Enza Berger", 1),
        ("enza berger !", 1),
        ("ENZA", 1),  # alias
        ("qu'Enza gagne", 1),
        ("Lou Lalou", 2),
        ("Lou", 0),  # no alias declared for candidate 2
        ("jean-baptiste elodie", 3),
        ("JEAN BAPTISTE ÉLODIE", 3),
        ("Enzaaa", 0),  # not a whole word
        ("@enza_berger_fan", 0),
        # Quantities, times, dates, ages, scores, parts of numbers
        ("2 enfants", 0),
        ("J'ai 2 enfants", 0),
        ("à 2h", 0),
        ("rdv à 14h30", 0),
        ("rdv à 14:30", 0),
        ("le 2 mai", 0),
        ("2/05", 0),
        ("2 ans", 0),
        ("2-1", 0),
        ("score 2 - 1", 0),
        ("2 à 1", 0),
        ("12", 0),
        ("2,5", 0),
        ("2.5", 0),
        ("2%", 0),
        ("2 €", 0),
        ("2e", 0),
        ("le 2ème", 0),
        ("+1", 0),
        ("x2", 0),
        ("les 2", 0),
        ("tous les 2 sont top", 0),
        ("j'en ai vu 2 hier", 0),  # mid-sentence, no cue
        ("2026", 0),
        ("06 12 34 56 78", 0),
        ("2 000 personnes", 0),
        ("10 sur 10", 0),
        # Negation and disparagement
        ("pas le 1", 0),
        ("sauf le 2", 0),
        ("Tout sauf le 2", 0),
        ("le 1 est nul", 0),
        ("nul le 1", 0),
        ("le 3 c'est pas ouf", 0),
        ("je ne vote pas pour le 2", 0),
        ("pas @enza_berger", 0),
        ("pas le 1 mais le 2", 2),
        ("le 1 est nul, le 2 est top", 2),
        ("nul le 1, vive le 2", 2),
        ("le 2 car le 1 est nul", 2),  # the disparagement belongs to the 1 only
        ("pas le 1 ni le 2", 0),
        ("le 2 est pas mal", 2),  # "pas mal" is praise
        ("y a pas photo le 2", 2),
        ("le 2 sans hésiter", 2),
        ("n'hésite pas, vote 2", 2),
        # Several candidates
        ("le 1 ou le 2", MULTIPLE),
        ("1 et 2", MULTIPLE),
        ("J'hésite entre @enza_berger et @_loulalou_", MULTIPLE),
        ("le 2, team 2, 2️⃣", 2),  # the same candidate several times is one vote
        ("@_loulalou_ le 2 !", 2),
        ("j'ai 2 enfants et je vote le 3", 3),
        # Nothing
        ("", 0),
        ("Bravo à tous les finalistes 👏", 0),
        ("le 12", 0),  # no candidate 12
        ("vote 0", 0),
    ],
)
def test_designation(text, expected):
    assert DESIGNATOR.designate(text) == expected
    assert Designator(CANDIDATES, cache_size=0).designate(text) == expected


def test_designated_lists_every_candidate_named():
    assert DESIGNATOR.designated("le 1 ou le 2 ou le 3") == {1, 2, 3}
    assert DESIGNATOR.designated("pas le 1, le 2") == {2}


def test_spelled_numbers_are_only_votes_for_existing_candidates():
    two = Designator([Candidate(1), Candidate(2)])
    assert two.designate("le trois") == 0
    assert two.designate("le deux") == 2


@pytest.mark.parametrize("text, expected", [("Élodie", "elodie"), ("ŒUVRE", "oeuvre"), ("l’équipe", "l'equipe")])
def test_fold(text, expected):
    assert fold(text) == expected


# --- tally -----------------------------------------------------------------------------------------------------

OPENS = datetime(2026, 5, 2, 10, 0, tzinfo=timezone(timedelta(hours=2)))
CLOSES = datetime(2026, 5, 9, 20, 0, tzinfo=timezone(timedelta(hours=2)))


def contest(mode="last", excluded=("villederoanne",)):
    return Contest(tuple(CANDIDATES[:3]), OPENS, CLOSES, frozenset(excluded), mode)


def comment(cid, author, text, at="2026-05-03T12:00:00+02:00", handle=None, parent=None):
    return {"id": cid, "author_id": author, "author_handle": handle or f"h{author}", "text": text,
            "created_at": at, "parent_id": parent}


def decisions(result):
    return {i: (v, r) for i, v, r in zip(result.ids, result.votes, result.reasons, strict=True)}


def test_totals_list_every_candidate_even_at_zero():
    result = tally(contest(), [comment("a", "u1", "le 2")])
    assert result.totals == {1: 0, 2: 1, 3: 0}
    assert result.as_json() == {"totals": {"1": 0, "2": 1, "3": 0},
                                "comments": [{"id": "a", "vote": 2, "reason": "counted"}]}


@pytest.mark.parametrize(
    "comments, expected",
    [
        # last vote counts by default
        ([comment("a", "u1", "le 1", "2026-05-03T10:00:00+02:00"), comment("b", "u1", "le 2", "2026-05-03T11:00:00+02:00")],
         {"a": (None, "superseded"), "b": (2, "counted")}),
        # instants, not strings: 09:30Z is 11:30+02:00, later than 11:00+02:00
        ([comment("a", "u1", "le 1", "2026-05-03T09:30:00Z"), comment("b", "u1", "le 2", "2026-05-03T11:00:00+02:00")],
         {"a": (1, "counted"), "b": (None, "superseded")}),
        # a later comment without a designation cancels nothing
        ([comment("a", "u1", "le 1", "2026-05-03T10:00:00+02:00"), comment("b", "u1", "bravo à tous", "2026-05-03T11:00:00+02:00")],
         {"a": (1, "counted"), "b": (None, "no_designation")}),
        # nor does a later comment naming two candidates
        ([comment("a", "u1", "le 1", "2026-05-03T10:00:00+02:00"), comment("b", "u1", "le 1 ou le 2", "2026-05-03T11:00:00+02:00")],
         {"a": (1, "counted"), "b": (None, "multiple_candidates")}),
        # excluded author, by handle, case and @ ignored
        ([comment("a", "u9", "le 2", handle="@VilleDeRoanne")], {"a": (None, "excluded_author")}),
        # window: opening included, closing excluded, offsets compared as instants
        ([comment("a", "u1", "2", "2026-05-02T08:00:00Z"), comment("b", "u2", "2", "2026-05-09T18:00:00Z"),
          comment("c", "u3", "2", "2026-05-02T07:59:59Z"), comment("d", "u4", "2", "2026-05-09T21:59:59+04:00")],
         {"a": (2, "counted"), "b": (None, "outside_window"), "c": (None, "outside_window"), "d": (2, "counted")}),
        # replies count like comments
        ([comment("a", "u1", "le 3", parent="p1")], {"a": (3, "counted")}),
        # two authors, separate votes
        ([comment("a", "u1", "1"), comment("b", "u2", "1")], {"a": (1, "counted"), "b": (1, "counted")}),
    ],
)
def test_tally_decisions(comments, expected):
    assert decisions(tally(contest(), comments)) == expected


def test_first_vote_mode():
    comments = [comment("a", "u1", "le 1", "2026-05-03T10:00:00+02:00"),
                comment("b", "u1", "le 2", "2026-05-03T11:00:00+02:00"),
                comment("c", "u1", "le 3", "2026-05-03T09:00:00+02:00")]
    result = tally(contest("first"), comments)
    assert decisions(result) == {"a": (None, "superseded"), "b": (None, "superseded"), "c": (3, "counted")}
    assert result.totals == {1: 0, 2: 0, 3: 1}


def test_same_instant_is_settled_by_comment_id_whatever_the_order():
    a = comment("a", "u1", "le 1")
    b = comment("b", "u1", "le 2")
    assert decisions(tally(contest(), [a, b]))["b"] == (2, "counted")
    assert decisions(tally(contest(), [b, a]))["b"] == (2, "counted")


def test_a_repeated_comment_id_is_judged_once():
    result = tally(contest(), [comment("a", "u1", "le 1"), comment("a", "u1", "le 1")])
    assert result.ids == ["a"] and result.repeated_ids == 1 and result.totals[1] == 1


def test_aware_datetimes_are_accepted_and_naive_ones_refused():
    at = datetime(2026, 5, 3, 10, tzinfo=UTC)
    assert tally(contest(), [comment("a", "u1", "2", at)]).totals[2] == 1
    with pytest.raises(ValueError, match="fuseau"):
        tally(contest(), [comment("a", "u1", "2", "2026-05-03T10:00:00")])


def test_utc_instant_fast_path_agrees_with_the_general_parser():
    for text in ["2026-05-03T10:00:00+02:00", "2026-05-03T10:00:00Z", "2026-05-03T10:00:00-04:00",
                 "2026-05-03T10:00:00.250+05:30", "2026-05-03 10:00:00+00:00"]:
        expected = datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
        assert utc_instant(text) == expected
        assert utc_instant(text) == expected  # second time through the learnt offset


def random_comments(rng, n):
    texts = ["le 1", "2", "@enza_berger", "le 3 !", "pas le 1", "le 1 ou le 2", "bravo", "2 enfants", "Lou Lalou"]
    out = []
    for i in range(n):
        at = datetime(2026, 5, 2, 6, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 60 * 24 * 9))
        out.append(comment(f"c{i}", f"u{rng.randint(1, n // 3)}", rng.choice(texts), at.isoformat(),
                           handle=rng.choice(["villederoanne", None])))
    return out


@pytest.mark.parametrize("mode", ["last", "first"])
def test_order_of_input_lines_does_not_change_any_decision(mode):
    rng = random.Random(5)
    comments = random_comments(rng, 600)
    reference = tally(contest(mode), comments)
    for _ in range(5):
        shuffled = comments[:]
        rng.shuffle(shuffled)
        again = tally(contest(mode), shuffled)
        assert again.totals == reference.totals
        assert decisions(again) == decisions(reference)
    assert sum(reference.totals.values()) > 0
    assert sum(1 for r in reference.reasons if r == "superseded") > 0


def test_tally_is_deterministic_and_the_cache_changes_nothing():
    comments = random_comments(random.Random(9), 400)
    one = tally(contest(), comments)
    two = tally(contest(), comments, Designator(CANDIDATES[:3], cache_size=0))
    assert one.as_json() == two.as_json()


def test_at_most_one_counted_vote_per_author():
    comments = random_comments(random.Random(3), 500)
    result = tally(contest(), comments)
    authors = {c["id"]: c["author_id"] for c in comments}
    counted = [authors[i] for i, r in zip(result.ids, result.reasons, strict=True) if r == "counted"]
    assert len(counted) == len(set(counted)) == sum(result.totals.values())


# --- contest file ---------------------------------------------------------------------------------------------

GOOD = {
    "candidates": [{"number": 1, "handle": "@a", "name": "A"}, {"number": 2, "handle": "b", "name": "B"}],
    "opens_at": "2026-05-02T10:00:00+02:00",
    "closes_at": "2026-05-09T20:00:00+02:00",
    "excluded_authors": ["@VilleDeRoanne"],
    "mode": "first",
}


def test_contest_from_dict():
    c = contest_from_dict(GOOD)
    assert [x.number for x in c.candidates] == [1, 2] and c.mode == "first"
    assert "villederoanne" in c.excluded_authors


@pytest.mark.parametrize(
    "change, field",
    [
        ({"candidates": []}, "candidates"),
        ({"candidates": [{"number": "x"}]}, "number"),
        ({"candidates": [{"number": 1}, {"number": 1}]}, "même numéro"),
        ({"candidates": [{"number": 1, "handle": "a"}, {"number": 2, "handle": "@A"}]}, "même compte"),
        ({"opens_at": "2026-05-02T10:00:00"}, "fuseau"),
        ({"closes_at": "demain"}, "closes_at"),
        ({"closes_at": "2026-05-01T10:00:00+02:00"}, "postérieure"),
        ({"mode": "best"}, "mode"),
        ({"excluded_authors": "villederoanne"}, "excluded_authors"),
    ],
)
def test_contest_errors_name_the_field(change, field):
    with pytest.raises(ContestError, match=field):
        contest_from_dict({**GOOD, **change})


# --- rules text -------------------------------------------------------------------------------------------------

from parvis.domain.contests.rules_text import (  # noqa: E402
    RulesError,
    RulesParams,
    render_rules,
    rules_problems,
    text_problems,
)

PARIS = timezone(timedelta(hours=2))
RULES = RulesParams(
    organiser="Ville de Roanne",
    organiser_address="Hôtel de ville, 42300 Roanne",
    title="Battle des ambassadeurs TikTok",
    opens_at=datetime(2026, 5, 1, 10, 0, tzinfo=PARIS),
    closes_at=datetime(2026, 5, 9, 20, 0, tzinfo=PARIS),
    networks=("TikTok", "Instagram"),
    mechanics="vote",
    how_to_enter="Commentez la vidéo avec le numéro de votre finaliste préféré.",
    tie_break="le candidat qui a reçu le premier vote compté l'emporte.",
    contact="dpo@ville-roanne.fr",
)


def test_rules_text_has_every_recommended_section():
    text = render_rules(RULES)
    for expected in ["Ville de Roanne", "gratuit et sans obligation d'achat", "1er mai 2026 à 10 h 00",
                     "9 mai 2026 à 20 h 00", "En cas d'égalité", "Fraude", "dpo@ville-roanne.fr",
                     "ni parrainé", "TikTok et Instagram", "avant 15 ans", "autorisation écrite"]:
        assert expected in text, expected
    assert text_problems(text) == []


def test_adults_only_rules_carry_no_minors_section_unless_candidates_are_minors():
    from dataclasses import replace

    assert "Mineurs" not in render_rules(replace(RULES, min_age=18))
    text = render_rules(replace(RULES, min_age=18, candidates_are_minors=True))
    assert "autorisation écrite" in text and "avant 15 ans" not in text


@pytest.mark.parametrize(
    "how_to_enter",
    [
        "Partage la vidéo et tague un ami pour participer",
        "Identifiez 2 amis en commentaire",
        "Mentionne une amie !",
        "Partagez la publication en story",
        "Tague tes potes",
    ],
)
def test_share_or_tag_a_friend_is_refused(how_to_enter):
    from dataclasses import replace

    params = replace(RULES, how_to_enter=how_to_enter)
    problems = rules_problems(params)
    assert [p.field for p in problems] == ["how_to_enter"] and "Meta" in problems[0].source
    with pytest.raises(RulesError, match="how_to_enter"):
        render_rules(params)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"tie_break": ""}, "tie_break"),
        ({"organiser": " "}, "organiser"),
        ({"mechanics": "loterie"}, "mechanics"),
        ({"networks": ()}, "networks"),
        ({"closes_at": datetime(2026, 4, 1, tzinfo=PARIS)}, "closes_at"),
    ],
)
def test_rules_problems_name_the_field(change, field):
    from dataclasses import replace

    assert field in [p.field for p in rules_problems(replace(RULES, **change))]


def test_a_hand_written_rules_text_is_checked():
    problems = text_problems("Concours : tague un ami pour participer. Gagnez un vélo !")
    messages = " ".join(p.message for p in problems)
    assert "identifier un ami" in messages and "gratuite" in messages and "parrainé" in messages
    assert "consentement" in messages
