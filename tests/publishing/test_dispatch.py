"""The ledger under duplicate dispatchers, crashes, timeouts after acceptance and every network error."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from parvis.channels.models import Channel
from parvis.domain.roles import Role
from parvis.domain.states import DeliveryState as S
from parvis.networks import errors
from parvis.networks.types import PostResult
from parvis.publishing import actions, dispatch
from parvis.publishing.models import Delivery, Publication
from tests.factories import ChannelFactory, team

pytestmark = pytest.mark.django_db(transaction=True)


class FakeNetwork:
    """Stores posts by marker, like a network with our marker in the post; scripted failures per handle."""

    def __init__(self):
        self.posts: dict[str, PostResult] = {}
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.script: dict[str, list] = {}  # handle -> exceptions to raise, in order ("accept-then-timeout" too)

    def connector(self, network, credentials, *, sandbox, timeout=20.0, base_url=None):
        fake = self

        class Connector:
            capabilities = frozenset({"publish", "lookup"})

            def publish(self, post):
                with fake.lock:
                    fake.calls.append(post.marker)
                    plan = fake.script.get(credentials.handle) or []
                    step = plan.pop(0) if plan else None
                    if isinstance(step, Exception):
                        raise step
                    result = PostResult(f"id-{len(fake.posts) + 1}", f"https://net.example/{len(fake.posts) + 1}")
                    if post.marker in fake.posts:
                        raise errors.Duplicate("déjà publié")
                    fake.posts[post.marker] = result
                if step == "accept-then-timeout":
                    raise errors.OutcomeUnknown("read timeout")
                return result

            def find_by_marker(self, marker):
                return fake.posts.get(marker)

        return Connector()


@pytest.fixture
def net(monkeypatch):
    fake = FakeNetwork()
    monkeypatch.setattr(dispatch, "get_connector", fake.connector)
    return fake


def _approved(channels, members, when=None):
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(
        cm, title="Vœux du maire", body="Cérémonie des vœux vendredi à 18 h.",
        channel_ids=[c.id for c in channels], scheduled_at=when or timezone.now() + timedelta(seconds=1),
    )
    return actions.submit(cm, pub)  # no approval rule: approved and scheduled at once


def _due_now():
    Delivery.objects.update(run_after=timezone.now() - timedelta(seconds=1))


def _run_once(n=1):
    """One dispatcher pass per thread, as if n workers woke up at the same instant."""
    barrier = threading.Barrier(n)
    results = []

    def one():
        barrier.wait()
        owner = f"w{threading.get_ident()}"
        ids = dispatch.claim_due(now=timezone.now(), owner=owner, limit=500)
        jobs, _ = dispatch.build_jobs(ids)
        results.extend(dispatch.execute(j) for j in jobs)
        connection.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dispatch.record_outcomes(results)


def test_duplicate_dispatchers_publish_each_delivery_once(net):
    members = team()
    authority = members[Role.DIRECTOR].authority
    channels = [ChannelFactory(authority=authority, network=n) for n in ("mastodon", "bluesky", "facebook")]
    for _ in range(20):
        _approved(channels, members)
    _due_now()
    _run_once(n=4)
    assert len(net.calls) == 60 == len(set(net.calls))
    assert Delivery.objects.filter(state=S.PUBLISHED).count() == 60
    assert set(Publication.objects.values_list("status", flat=True)) == {"published"}


def test_a_claimed_row_is_not_claimed_again():
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority)
    _approved([channel], members)
    _due_now()
    first = dispatch.claim_due(now=timezone.now(), owner="a", limit=10)
    second = dispatch.claim_due(now=timezone.now(), owner="b", limit=10)
    assert len(first) == 1 and second == []


def test_not_due_yet_is_not_claimed():
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority)
    _approved([channel], members, when=timezone.now() + timedelta(hours=2))
    assert dispatch.claim_due(now=timezone.now(), owner="a", limit=10) == []


def test_worker_crash_after_the_network_accepted_is_reconciled_not_resent(net):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority)
    _approved([channel], members)
    _due_now()
    ids = dispatch.claim_due(now=timezone.now(), owner="dead-worker", limit=10)
    jobs, _ = dispatch.build_jobs(ids)
    dispatch.execute(jobs[0])  # the post went out, then the process died before writing the outcome
    later = timezone.now() + dispatch.lease_duration() + timedelta(seconds=1)
    assert dispatch.sweep(now=later)["expired"] == 1
    assert Delivery.objects.get().state == S.UNCONFIRMED
    assert dispatch.sweep(now=later + timedelta(seconds=10))["found"] == 1
    d = Delivery.objects.get()
    assert d.state == S.PUBLISHED and d.remote_url
    assert len(net.calls) == 1


def test_worker_crash_before_sending_is_sent_once_after_reconciliation(net):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority)
    _approved([channel], members)
    _due_now()
    dispatch.claim_due(now=timezone.now(), owner="dead-worker", limit=10)  # died before the call
    later = timezone.now() + dispatch.lease_duration() + timedelta(seconds=1)
    dispatch.sweep(now=later)
    assert dispatch.sweep(now=later + timedelta(seconds=10))["absent"] == 1
    assert Delivery.objects.get().state == S.SCHEDULED
    _due_now()
    _run_once()
    assert Delivery.objects.get().state == S.PUBLISHED
    assert len(net.calls) == 1


def test_timeout_after_acceptance_becomes_unconfirmed_then_published_without_resend(net):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, handle="lent")
    net.script["lent"] = ["accept-then-timeout"]
    _approved([channel], members)
    _due_now()
    _run_once()
    d = Delivery.objects.get()
    assert d.state == S.UNCONFIRMED and "vérifie" in d.error_message
    dispatch.sweep(now=timezone.now() + timedelta(seconds=10))
    assert Delivery.objects.get().state == S.PUBLISHED
    assert len(net.calls) == 1


def test_one_channel_failing_never_fails_the_others(net):
    members = team()
    authority = members[Role.DIRECTOR].authority
    ok = ChannelFactory(authority=authority, network="mastodon", handle="ok")
    bad = ChannelFactory(authority=authority, network="bluesky", handle="refus")
    net.script["refus"] = [errors.ContentRejected("Image trop grande", detail="BlobTooLarge")]
    pub = _approved([ok, bad], members)
    _due_now()
    _run_once()
    states = dict(Delivery.objects.values_list("channel__handle", "state"))
    assert states == {"ok": S.PUBLISHED, "refus": S.FAILED}
    failed = Delivery.objects.get(channel=bad)
    assert "refusé" in failed.error_message and "BlobTooLarge" in failed.error_message
    pub.refresh_from_db()
    assert pub.status == "partial"


def test_rate_limit_reschedules_after_the_networks_delay(net):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, handle="limite")
    net.script["limite"] = [errors.RateLimited("429", retry_after_s=120)]
    _approved([channel], members)
    _due_now()
    before = timezone.now()
    _run_once()
    d = Delivery.objects.get()
    assert d.state == S.SCHEDULED
    assert d.run_after >= before + timedelta(seconds=119)
    assert dispatch.claim_due(now=timezone.now(), owner="x", limit=10) == []
    assert dispatch.claim_due(now=d.run_after, owner="x", limit=10) == [d.id]


def test_expired_token_holds_the_delivery_until_reconnection(net):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, handle="expire")
    net.script["expire"] = [errors.AuthExpired("token expired")]
    _approved([channel], members)
    _due_now()
    _run_once()
    channel.refresh_from_db()
    d = Delivery.objects.get()
    assert channel.status == Channel.Status.RECONNECT
    assert d.state == S.SCHEDULED
    assert dispatch.claim_due(now=timezone.now(), owner="x", limit=10) == []
    from parvis.channels.actions import reconnect

    reconnect(members[Role.COMMUNITY_MANAGER], channel, {"token": "nouveau"})
    _run_once()
    assert Delivery.objects.get().state == S.PUBLISHED
    assert len(net.posts) == 1


def test_duplicate_reported_by_the_network_is_reconciled_not_resent(net):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority)
    _approved([channel], members)
    _due_now()
    marker = str(Delivery.objects.get().marker)
    net.posts[marker] = PostResult("id-earlier", "https://net.example/earlier")  # an earlier attempt got through
    _run_once()
    d = Delivery.objects.get()
    assert d.state == S.UNCONFIRMED
    dispatch.sweep(now=timezone.now() + timedelta(seconds=10))
    d.refresh_from_db()
    assert d.state == S.PUBLISHED and d.remote_id == "id-earlier"


def test_transient_errors_retry_with_backoff_then_fail_in_french(net):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, handle="panne")
    net.script["panne"] = [errors.Transient("HTTP 503")] * 10
    _approved([channel], members)
    for _ in range(5):
        _due_now()
        _run_once()
    d = Delivery.objects.get()
    assert d.state == S.FAILED and d.attempts == 5
    assert "5 fois" in d.error_message


def test_the_dispatcher_loop_publishes_and_stops(net, settings):
    settings.DISPATCH_CONCURRENCY = 8
    members = team()
    channels = [ChannelFactory(authority=members[Role.DIRECTOR].authority, network=n) for n in ("x", "linkedin")]
    for _ in range(10):
        _approved(channels, members)
    _due_now()
    d = dispatch.Dispatcher(poll_interval=0.05)
    t = threading.Thread(target=d.run)
    t.start()
    deadline = timezone.now() + timedelta(seconds=20)
    while Delivery.objects.exclude(state=S.PUBLISHED).exists() and timezone.now() < deadline:
        threading.Event().wait(0.05)
    d.stop()
    t.join(10)
    assert not t.is_alive()
    assert Delivery.objects.filter(state=S.PUBLISHED).count() == 20
    assert len(net.calls) == 20
