import random
from datetime import UTC, datetime, timedelta

import pytest

from parvis.domain.ledger import MAX_TRANSIENT_ATTEMPTS, after_error, backoff
from parvis.domain.states import DeliveryState as S

NOW = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "attempts", "retry_after", "state", "reconnect", "reconcile", "words"),
    [
        ("rate_limited", 1, 120, S.SCHEDULED, False, False, "rythme"),
        ("rate_limited", 1, None, S.SCHEDULED, False, False, "rythme"),
        ("auth_expired", 1, None, S.SCHEDULED, True, False, "Reconnectez"),
        ("content_rejected", 1, None, S.FAILED, False, False, "refusé"),
        ("duplicate", 1, None, S.UNCONFIRMED, False, True, "existe déjà"),
        ("transient", 1, None, S.SCHEDULED, False, False, "nouvel essai"),
        ("transient", MAX_TRANSIENT_ATTEMPTS, None, S.FAILED, False, False, "5 fois"),
        ("permanent", 1, None, S.FAILED, False, False, "refusé"),
        ("outcome_unknown", 1, None, S.UNCONFIRMED, False, True, "vérifie"),
        ("something_new", 1, None, S.UNCONFIRMED, False, True, "vérifie"),  # unknown: never blindly retried
    ],
)
def test_policy_per_error(code, attempts, retry_after, state, reconnect, reconcile, words):
    out = after_error(code, now=NOW, attempts=attempts, detail="HTTP 503", retry_after_s=retry_after,
                      rng=random.Random(1))
    assert out.state == state
    assert out.channel_needs_reconnect is reconnect
    assert out.reconcile is reconcile
    assert words in out.message
    if state == S.SCHEDULED and code != "auth_expired":
        assert out.run_after > NOW


def test_rate_limit_waits_exactly_what_the_network_asks():
    out = after_error("rate_limited", now=NOW, attempts=1, retry_after_s=90)
    assert out.run_after == NOW + timedelta(seconds=90)


def test_rejection_keeps_the_networks_words():
    out = after_error("content_rejected", now=NOW, attempts=1, detail="Caption too long (2201 > 2200)")
    assert "Caption too long (2201 > 2200)" in out.message


@pytest.mark.parametrize(("attempts", "low", "high"), [(1, 2.5, 5), (2, 5, 10), (3, 10, 20), (20, 450, 900)])
def test_backoff_grows_and_is_capped(attempts, low, high):
    rng = random.Random(7)
    for _ in range(50):
        assert low <= backoff(attempts, rng=rng).total_seconds() <= high
