"""State machines of a publication and of a delivery (one delivery = one publication on one channel).

Transitions are data; `ensure_transition` is the only gate. Actions call it before writing.
"""

from enum import StrEnum


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"  # deliveries exist and wait for their time
    PUBLISHED = "published"  # every delivery published
    PARTIAL = "partial"  # some published, some failed
    FAILED = "failed"  # every delivery failed
    CANCELLED = "cancelled"


class DeliveryState(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PUBLISHED = "published"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    CANCELLED = "cancelled"


class InvalidTransition(ValueError):
    def __init__(self, kind: str, current: str, target: str):
        super().__init__(f"{kind}: transition impossible de « {current} » vers « {target} »")
        self.current, self.target = current, target


P = PublicationStatus
PUBLICATION_TRANSITIONS: dict[PublicationStatus, frozenset[PublicationStatus]] = {
    P.DRAFT: frozenset({P.IN_REVIEW, P.APPROVED, P.CANCELLED}),
    # Rejection or an edit sends a publication back to draft.
    P.IN_REVIEW: frozenset({P.DRAFT, P.APPROVED, P.CANCELLED}),
    # An edit after approval sends it back for approval (IN_REVIEW) or to draft.
    P.APPROVED: frozenset({P.DRAFT, P.IN_REVIEW, P.PUBLISHED, P.PARTIAL, P.FAILED, P.CANCELLED}),
    # A failed delivery of a partial publication relaunched by a human: approved again until it ends.
    P.PARTIAL: frozenset({P.PUBLISHED, P.APPROVED}),
    P.FAILED: frozenset({P.PUBLISHED, P.PARTIAL, P.APPROVED}),
    P.PUBLISHED: frozenset(),
    P.CANCELLED: frozenset({P.DRAFT}),
}

D = DeliveryState
DELIVERY_TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    D.SCHEDULED: frozenset({D.SENDING, D.CANCELLED}),
    # SENDING -> SCHEDULED: rate limited or auth expired before anything was created.
    D.SENDING: frozenset({D.PUBLISHED, D.FAILED, D.UNCONFIRMED, D.SCHEDULED}),
    # An unconfirmed delivery is reconciled: found on the network, or proven absent and retried,
    # or a human decides.
    D.UNCONFIRMED: frozenset({D.PUBLISHED, D.SCHEDULED, D.FAILED}),
    D.FAILED: frozenset({D.SCHEDULED}),  # a human retries after fixing the cause
    D.PUBLISHED: frozenset(),
    D.CANCELLED: frozenset({D.SCHEDULED}),
}

EDITABLE_PUBLICATION_STATUSES = frozenset({P.DRAFT, P.IN_REVIEW, P.APPROVED, P.CANCELLED})
FINAL_DELIVERY_STATES = frozenset({D.PUBLISHED, D.FAILED, D.CANCELLED})


def can_transition(table: dict, current: str, target: str) -> bool:
    return target in table.get(current, frozenset())


def _ensure(kind: str, table: dict, enum, current: str, target: str) -> None:
    try:
        allowed = can_transition(table, enum(current), enum(target))
    except ValueError:  # an unknown state is refused like any impossible transition
        allowed = False
    if not allowed:
        raise InvalidTransition(kind, current, target)


def ensure_publication_transition(current: str, target: str) -> None:
    _ensure("Publication", PUBLICATION_TRANSITIONS, PublicationStatus, current, target)


def ensure_delivery_transition(current: str, target: str) -> None:
    _ensure("Diffusion", DELIVERY_TRANSITIONS, DeliveryState, current, target)


def publication_outcome(delivery_states: list[str]) -> PublicationStatus | None:
    """The publication's status once its deliveries are final; None while some are still pending."""
    states = [DeliveryState(s) for s in delivery_states if s != D.CANCELLED]
    if not states or any(s not in FINAL_DELIVERY_STATES for s in states):
        return None
    published = sum(1 for s in states if s == D.PUBLISHED)
    if published == len(states):
        return P.PUBLISHED
    if published == 0:
        return P.FAILED
    return P.PARTIAL
