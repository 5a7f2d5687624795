import pytest

from parvis.domain.approval import (
    OWN_WORK_FR,
    ApprovalLevel,
    ApprovalRuleError,
    Outcome,
    can_approve,
    effective_levels,
    levels_to_json,
    next_state_after_decision,
    parse_levels,
    requires_reapproval,
)
from parvis.domain.roles import Role


def L(roles=(), users=()) -> ApprovalLevel:
    return ApprovalLevel(frozenset(roles), frozenset(users))


# --- parse_levels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], []),
        (None, []),
        ("[]", []),
        ([{"roles": ["director"], "users": [12]}], [L(["director"], [12])]),
        ('[{"roles": ["director"]}]', [L(["director"])]),
        ([{"users": [12, 12, 7]}], [L(users=[7, 12])]),
        (
            [{"roles": ["community_manager"]}, {"roles": ["director", "reviewer"]}, {"users": [3]}],
            [L(["community_manager"]), L(["director", "reviewer"]), L(users=[3])],
        ),
    ],
)
def test_parse_levels_valid(raw, expected):
    assert parse_levels(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"roles": ["director"]}, "une liste de niveaux est attendue"),
        ("{bad json", "JSON illisible"),
        ([{"roles": ["director"]}] * 4, "4 niveaux, c'est trop (au plus 3 niveaux)"),
        ([{"roles": ["director"]}, {"roles": ["boss"]}], "Niveau 2 : rôle inconnu « boss »"),
        ([{"roles": ["Director"]}], "rôle inconnu « Director »"),  # roles are case-sensitive values
        ([{"roles": [None]}], "rôle inconnu « None »"),
        ([{"roles": ["contributor"]}], "Niveau 1 : le rôle « contributor » ne peut pas approuver"),
        ([{"roles": ["viewer"]}], "le rôle « viewer » ne peut pas approuver"),
        ([{}], "Niveau 1 : niveau vide"),
        ([{"roles": [], "users": []}], "niveau vide"),
        ([{"roles": "director"}], "« roles » doit être une liste"),
        ([{"users": 12}], "« users » doit être une liste"),
        ([{"users": ["12"]}], "identifiant d'utilisateur invalide '12'"),
        ([{"users": [True]}], "identifiant d'utilisateur invalide True"),
        ([{"users": [0]}], "identifiant d'utilisateur invalide 0"),
        ([{"users": [1.5]}], "identifiant d'utilisateur invalide 1.5"),
        (["director"], "Niveau 1 : un objet"),
        ([{"roles": ["director"], "role": ["reviewer"]}], "champ inconnu « role »"),
    ],
)
def test_parse_levels_invalid(raw, fragment):
    with pytest.raises(ApprovalRuleError) as excinfo:
        parse_levels(raw)
    assert fragment in str(excinfo.value)


def test_levels_round_trip_to_json():
    levels = [L(["reviewer", "director"], [5, 2]), L(users=[9])]
    data = levels_to_json(levels)
    assert data == [{"roles": ["director", "reviewer"], "users": [2, 5]}, {"roles": [], "users": [9]}]
    assert parse_levels(data) == levels


# --- effective_levels ----------------------------------------------------------------------------

AUTHORITY = [L(["community_manager"])]
ONE_DIRECTOR = [L(["director"])]
TWO = [L(["community_manager"]), L(users=[12])]
TWO_OTHER = [L(["reviewer"]), L(["director"])]
THREE = [L(["community_manager"]), L(["director"]), L(users=[12])]


@pytest.mark.parametrize(
    ("authority", "channels", "expected"),
    [
        # No channel yet: the authority's rule.
        (AUTHORITY, [], AUTHORITY),
        # Channels without their own rule use the authority's.
        (AUTHORITY, [(1, None), (2, None)], AUTHORITY),
        # A channel's own rule with more levels is stricter.
        (AUTHORITY, [(1, None), (2, TWO)], TWO),
        # A channel's own "no approval" rule does not lower another channel's rule.
        (AUTHORITY, [(1, []), (2, None)], AUTHORITY),
        ([], [(1, []), (2, [])], []),
        # The authority's rule may be the strictest, through a channel without its own rule.
        (THREE, [(1, TWO), (2, None)], THREE),
        # A channel's own rule replaces the authority's even when laxer, if it is the only channel.
        (THREE, [(1, ONE_DIRECTOR)], ONE_DIRECTOR),
        (THREE, [(1, [])], []),
        (TWO, [(5, THREE), (1, ONE_DIRECTOR)], THREE),
        # Ties: the channel with the smallest id wins, whatever the input order.
        ([], [(1, TWO), (2, TWO_OTHER)], TWO),
        ([], [(2, TWO_OTHER), (1, TWO)], TWO),
        ([], [(7, TWO_OTHER), (3, TWO)], TWO),
        # Tie between the authority's rule (channel 1 without its own rule) and channel 2's own rule.
        (TWO_OTHER, [(2, TWO), (1, None)], TWO_OTHER),
    ],
)
def test_effective_levels(authority, channels, expected):
    assert effective_levels(authority, channels) == expected


# --- can_approve ---------------------------------------------------------------------------------

RULE = [L(["community_manager", "director"]), L(["director"], [42]), L(["reviewer"])]
AUTHOR = 1


@pytest.mark.parametrize(
    ("level_index", "user_id", "role", "allowed", "reason"),
    [
        # Matching by role, with the APPROVE permission.
        (0, 2, Role.COMMUNITY_MANAGER, True, "Votre rôle vous permet d'approuver le niveau 1."),
        (0, 2, "director", True, "Votre rôle vous permet d'approuver le niveau 1."),
        (1, 3, Role.DIRECTOR, True, "Votre rôle vous permet d'approuver le niveau 2."),
        (2, 4, Role.REVIEWER, True, "Votre rôle vous permet d'approuver le niveau 3."),
        # Role not listed in that level.
        (1, 2, Role.COMMUNITY_MANAGER, False, "Vous ne faites pas partie des approbateurs du niveau 2."),
        (0, 4, Role.REVIEWER, False, "Vous ne faites pas partie des approbateurs du niveau 1."),
        (0, 5, Role.CONTRIBUTOR, False, "Vous ne faites pas partie des approbateurs du niveau 1."),
        (0, 5, None, False, "Vous ne faites pas partie des approbateurs du niveau 1."),
        (0, 5, "intruder", False, "Vous ne faites pas partie des approbateurs du niveau 1."),
        # The elected official named by id approves whatever their role, even none.
        (1, 42, Role.VIEWER, True, "Vous êtes désigné·e nommément pour le niveau 2."),
        (1, 42, None, True, "Vous êtes désigné·e nommément pour le niveau 2."),
        (1, 42, Role.CONTRIBUTOR, True, "Vous êtes désigné·e nommément pour le niveau 2."),
        # …but only for the level that names them.
        (2, 42, Role.VIEWER, False, "Vous ne faites pas partie des approbateurs du niveau 3."),
        # Nobody approves their own work: not by role, not by designation.
        (0, AUTHOR, Role.DIRECTOR, False, OWN_WORK_FR),
        # Level out of range.
        (3, 2, Role.DIRECTOR, False, "Le niveau d'approbation 4 n'existe pas (il y en a 3)."),
        (-1, 2, Role.DIRECTOR, False, "Le niveau d'approbation 0 n'existe pas (il y en a 3)."),
        # Anonymous.
        (0, None, Role.DIRECTOR, False, "Vous devez être connecté·e pour approuver."),
    ],
)
def test_can_approve(level_index, user_id, role, allowed, reason):
    decision = can_approve(RULE, level_index, user_id=user_id, role=role, author_id=AUTHOR)
    assert decision == (allowed, reason)
    assert decision.allowed is allowed
    assert decision.reason_fr == reason


def test_named_official_cannot_approve_their_own_publication():
    decision = can_approve(RULE, 1, user_id=42, role=Role.VIEWER, author_id=42)
    assert decision == (False, OWN_WORK_FR)


def test_author_unknown_does_not_block():
    assert can_approve(RULE, 0, user_id=2, role=Role.DIRECTOR, author_id=None).allowed is True


def test_role_listed_without_approve_permission_is_refused():
    # parse_levels refuses such a level, but a level built in code or stored before a role change
    # must still not let the role through.
    levels = [L(["contributor"])]
    decision = can_approve(levels, 0, user_id=2, role=Role.CONTRIBUTOR, author_id=AUTHOR)
    assert decision == (False, "Votre rôle ne permet pas d'approuver des publications.")


def test_one_person_passes_one_level_per_round():
    levels = [L(["director"]), L(["director"])]
    assert can_approve(levels, 1, user_id=3, role=Role.DIRECTOR, author_id=AUTHOR).allowed is True
    refused = can_approve(
        levels, 1, user_id=3, role=Role.DIRECTOR, author_id=AUTHOR, previous_approver_ids={3}
    )
    assert refused.allowed is False
    assert "autre personne" in refused.reason_fr
    other = can_approve(levels, 1, user_id=4, role=Role.DIRECTOR, author_id=AUTHOR, previous_approver_ids={3})
    assert other.allowed is True


def test_no_levels_means_nothing_to_approve():
    decision = can_approve([], 0, user_id=2, role=Role.DIRECTOR, author_id=AUTHOR)
    assert decision == (False, "Aucune approbation n'est requise pour cette publication.")


# --- next_state_after_decision -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels_count", "approved_levels", "decision", "expected"),
    [
        (1, 0, "approve", (1, Outcome.APPROVED)),
        (2, 0, "approve", (1, Outcome.PENDING)),
        (2, 1, "approve", (2, Outcome.APPROVED)),
        (3, 0, "approve", (1, Outcome.PENDING)),
        (3, 1, "approve", (2, Outcome.PENDING)),
        (3, 2, "approve", (3, Outcome.APPROVED)),
        # A rejection at any level resets the round.
        (1, 0, "reject", (0, Outcome.REJECTED)),
        (3, 0, "reject", (0, Outcome.REJECTED)),
        (3, 2, "reject", (0, Outcome.REJECTED)),
        # A comment changes nothing.
        (3, 1, "comment", (1, Outcome.PENDING)),
    ],
)
def test_next_state_after_decision(levels_count, approved_levels, decision, expected):
    assert next_state_after_decision(levels_count, approved_levels, decision) == expected


def test_outcomes_are_the_strings_the_app_stores():
    assert [o.value for o in Outcome] == ["approved", "pending", "rejected"]
    assert next_state_after_decision(1, 0, "approve")[1] == "approved"


@pytest.mark.parametrize(
    ("levels_count", "approved_levels", "decision"),
    [
        (0, 0, "approve"),  # no approval required: nothing to decide
        (2, 2, "approve"),  # already fully approved
        (2, 3, "reject"),
        (2, -1, "approve"),
        (4, 0, "approve"),  # more than 3 levels
        (2, 0, "maybe"),
    ],
)
def test_next_state_after_decision_refuses_impossible_input(levels_count, approved_levels, decision):
    with pytest.raises(ValueError):
        next_state_after_decision(levels_count, approved_levels, decision)


# --- requires_reapproval -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "changed", "approved_levels", "expected"),
    [
        # Approved: any change the public sees sends it back.
        ("approved", {"body"}, 0, True),
        ("approved", {"variants"}, 0, True),
        ("approved", {"media"}, 0, True),
        ("approved", {"link"}, 0, True),
        ("approved", {"channels"}, 0, True),
        ("approved", {"scheduled_at"}, 0, True),
        ("approved", {"title", "body"}, 0, True),
        # An unknown field fails safe.
        ("approved", {"some_new_field"}, 0, True),
        # Only the internal title: no new approval.
        ("approved", {"title"}, 0, False),
        ("approved", set(), 0, False),
        # In review with levels already approved: those approvals were for the old content.
        ("in_review", {"body"}, 1, True),
        ("in_review", {"scheduled_at"}, 2, True),
        ("in_review", {"title"}, 2, False),
        # In review with nothing approved yet, draft, cancelled: nothing to lose.
        ("in_review", {"body"}, 0, False),
        ("draft", {"body", "media"}, 0, False),
        ("cancelled", {"body"}, 0, False),
        # Failed and partial were approved before their deliveries ran: an edit must not ride on it.
        ("failed", {"body"}, 0, True),
        ("partial", {"body"}, 0, True),
    ],
)
def test_requires_reapproval(status, changed, approved_levels, expected):
    assert requires_reapproval(status, changed, approved_levels=approved_levels) is expected


def test_requires_reapproval_accepts_any_iterable_and_refuses_unknown_status():
    assert requires_reapproval("approved", ["title", "link"]) is True
    assert requires_reapproval("approved", iter(["title"])) is False
    with pytest.raises(ValueError):
        requires_reapproval("archived", {"body"})
