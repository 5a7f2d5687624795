"""The state machines, checked against tables written here by hand (not read from the module under test):
every pair of states is tried, so an added or removed transition fails a test."""

import itertools

import pytest

from parvis.domain.states import (
    EDITABLE_PUBLICATION_STATUSES,
    FINAL_DELIVERY_STATES,
    DeliveryState,
    InvalidTransition,
    PublicationStatus,
    ensure_delivery_transition,
    ensure_publication_transition,
    publication_outcome,
)

PUBLICATION_ALLOWED = {
    ("draft", "in_review"),  # submitted
    ("draft", "approved"),  # no approval level, or scheduled by someone who may
    ("draft", "cancelled"),
    ("in_review", "draft"),  # rejected or edited
    ("in_review", "approved"),
    ("in_review", "cancelled"),
    ("approved", "draft"),
    ("approved", "in_review"),  # edited after approval
    ("approved", "published"),
    ("approved", "partial"),
    ("approved", "failed"),
    ("approved", "cancelled"),
    ("partial", "published"),  # a failed delivery retried with success
    ("partial", "approved"),  # a failed delivery relaunched by a human
    ("failed", "published"),
    ("failed", "partial"),
    ("failed", "approved"),  # retried
    ("cancelled", "draft"),  # reopened
}

DELIVERY_ALLOWED = {
    ("scheduled", "sending"),  # claimed by the task
    ("scheduled", "cancelled"),
    ("sending", "published"),
    ("sending", "failed"),
    ("sending", "unconfirmed"),  # timeout after the request left
    ("sending", "scheduled"),  # rate limited or token expired before anything was created
    ("unconfirmed", "published"),  # found on the network
    ("unconfirmed", "scheduled"),  # proven absent: retried
    ("unconfirmed", "failed"),
    ("failed", "scheduled"),  # a human retries
    ("cancelled", "scheduled"),
}

PUBLICATION_PAIRS = list(itertools.product([s.value for s in PublicationStatus], repeat=2))
DELIVERY_PAIRS = list(itertools.product([s.value for s in DeliveryState], repeat=2))


def test_the_tables_here_name_every_state():
    assert {s.value for s in PublicationStatus} == {
        "draft",
        "in_review",
        "approved",
        "published",
        "partial",
        "failed",
        "cancelled",
    }
    assert {s.value for s in DeliveryState} == {
        "scheduled",
        "sending",
        "published",
        "failed",
        "unconfirmed",
        "cancelled",
    }


@pytest.mark.parametrize(("current", "target"), sorted(PUBLICATION_ALLOWED))
def test_publication_allowed_transitions(current, target):
    ensure_publication_transition(current, target)  # does not raise


@pytest.mark.parametrize(("current", "target"), sorted(set(PUBLICATION_PAIRS) - PUBLICATION_ALLOWED))
def test_publication_refused_transitions(current, target):
    with pytest.raises(InvalidTransition) as excinfo:
        ensure_publication_transition(current, target)
    assert (excinfo.value.current, excinfo.value.target) == (current, target)
    assert str(excinfo.value) == f"Publication: transition impossible de « {current} » vers « {target} »"


@pytest.mark.parametrize(("current", "target"), sorted(DELIVERY_ALLOWED))
def test_delivery_allowed_transitions(current, target):
    ensure_delivery_transition(current, target)


@pytest.mark.parametrize(("current", "target"), sorted(set(DELIVERY_PAIRS) - DELIVERY_ALLOWED))
def test_delivery_refused_transitions(current, target):
    with pytest.raises(InvalidTransition) as excinfo:
        ensure_delivery_transition(current, target)
    assert str(excinfo.value) == f"Diffusion: transition impossible de « {current} » vers « {target} »"


@pytest.mark.parametrize(
    ("ensure", "current", "target"),
    [
        # The refusals that protect "exactly once" and the approval, named one by one.
        (ensure_delivery_transition, "published", "scheduled"),  # never publish twice
        (ensure_delivery_transition, "published", "cancelled"),
        (ensure_delivery_transition, "sending", "cancelled"),  # the request may already have left
        (ensure_delivery_transition, "unconfirmed", "sending"),  # never blindly retried
        (ensure_delivery_transition, "scheduled", "published"),  # must be claimed first
        (ensure_delivery_transition, "failed", "sending"),
        (ensure_publication_transition, "published", "draft"),
        (ensure_publication_transition, "in_review", "published"),  # approval before publication
        (ensure_publication_transition, "draft", "published"),
        (ensure_publication_transition, "cancelled", "approved"),  # reopened as a draft only
        (ensure_publication_transition, "partial", "cancelled"),
        (ensure_publication_transition, "draft", "draft"),
    ],
)
def test_refusals_that_matter(ensure, current, target):
    with pytest.raises(InvalidTransition):
        ensure(current, target)


def test_enum_members_are_accepted_as_well_as_strings():
    ensure_publication_transition(PublicationStatus.DRAFT, PublicationStatus.IN_REVIEW)
    ensure_delivery_transition(DeliveryState.SCHEDULED, DeliveryState.SENDING)


@pytest.mark.parametrize(
    ("ensure", "current", "target"),
    [
        (ensure_publication_transition, "archived", "draft"),
        (ensure_publication_transition, "draft", "archived"),
        (ensure_delivery_transition, "queued", "sending"),
        (ensure_delivery_transition, "scheduled", ""),
    ],
)
def test_unknown_states_are_refused(ensure, current, target):
    with pytest.raises(ValueError):
        ensure(current, target)


def test_published_is_terminal_for_both_machines():
    for target in PublicationStatus:
        with pytest.raises(InvalidTransition):
            ensure_publication_transition("published", target)
    for target in DeliveryState:
        with pytest.raises(InvalidTransition):
            ensure_delivery_transition("published", target)


def test_editable_and_final_sets():
    assert EDITABLE_PUBLICATION_STATUSES == {"draft", "in_review", "approved", "cancelled"}
    assert FINAL_DELIVERY_STATES == {"published", "failed", "cancelled"}
    # Unconfirmed is not final: it waits for reconciliation.
    assert "unconfirmed" not in FINAL_DELIVERY_STATES


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        # Nothing to conclude yet.
        ([], None),
        (["scheduled"], None),
        (["sending"], None),
        (["unconfirmed"], None),
        (["published", "scheduled"], None),
        (["published", "sending"], None),
        (["published", "unconfirmed"], None),
        (["failed", "unconfirmed"], None),
        (["failed", "scheduled"], None),
        # All published.
        (["published"], "published"),
        (["published", "published", "published"], "published"),
        # All failed.
        (["failed"], "failed"),
        (["failed", "failed"], "failed"),
        # Mixed.
        (["published", "failed"], "partial"),
        (["failed", "published", "published"], "partial"),
        # Cancelled deliveries are ignored.
        (["published", "cancelled"], "published"),
        (["failed", "cancelled"], "failed"),
        (["published", "failed", "cancelled"], "partial"),
        (["cancelled", "scheduled"], None),
        # Only cancelled deliveries: nothing to conclude (the publication's own cancellation decides).
        (["cancelled"], None),
        (["cancelled", "cancelled"], None),
    ],
)
def test_publication_outcome(states, expected):
    outcome = publication_outcome(states)
    assert outcome == expected
    if expected is not None:
        assert isinstance(outcome, PublicationStatus)


def test_publication_outcome_order_does_not_matter():
    for order in itertools.permutations(["published", "failed", "cancelled", "published"]):
        assert publication_outcome(list(order)) == PublicationStatus.PARTIAL


def test_publication_outcome_refuses_unknown_state():
    with pytest.raises(ValueError):
        publication_outcome(["published", "lost"])
