"""History builders for the measures: rows written directly, as the collection would have."""

from datetime import UTC, date, datetime, timedelta

import pytest

from parvis.analytics.models import MetricSnapshot, PostStats
from parvis.networks.types import MetricSet
from parvis.publishing.models import Delivery, Publication
from tests.factories import AuthorityFactory, ChannelFactory, team


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def authority(db):
    return AuthorityFactory(slug="arras", name="Arras", population=40_000)


@pytest.fixture
def members(authority):
    return team(authority)


@pytest.fixture
def channels(authority):
    return {
        "facebook": ChannelFactory(authority=authority, network="facebook", handle="VilleArras"),
        "mastodon": ChannelFactory(authority=authority, network="mastodon", handle="arras@mastodon.social"),
    }


@pytest.fixture
def other(db):
    a = AuthorityFactory(slug="lens", name="Lens")
    return {"authority": a, "members": team(a), "channel": ChannelFactory(authority=a, network="facebook")}


def daily(channel, metric: str, start: date, values: list[float]):
    MetricSnapshot.objects.bulk_create([
        MetricSnapshot(channel=channel, metric=metric, day=start + timedelta(days=i), value=v,
                       collected_at=datetime.combine(start + timedelta(days=i + 1), datetime.min.time(), UTC))
        for i, v in enumerate(values)])


def published(channel, when: datetime, *, title="Conseil municipal", stats: dict | None = None,
              remote_id: str | None = None) -> Delivery:
    pub = Publication.objects.create(authority=channel.authority, title=title, status="published",
                                     scheduled_at=when)
    d = Delivery.objects.create(publication=pub, channel=channel, authority=channel.authority, due_at=when,
                                run_after=when, state="published", published_at=when,
                                remote_id=remote_id or f"r{pub.pk}", remote_url=f"https://example.org/p/{pub.pk}")
    if stats is not None:
        PostStats.objects.create(delivery=d, authority=channel.authority, channel=channel, published_at=when,
                                 values=stats, updated_at=when, **{k: stats.get(k) for k in (
                                     "interactions", "impressions", "reach", "likes", "comments", "shares",
                                     "video_views", "followers")})
    return d


class FakeConnector:
    """Stands in for a network's connector: figures as the connector would name them."""

    def __init__(self, account=None, posts=None, *, fail=None, capabilities=("account_metrics", "post_metrics"),
                 at=None):
        self.account = account or {}
        self.posts = posts or {}
        self.fail = fail or {}  # remote_id → exception to raise
        self.capabilities = frozenset(capabilities)
        self.at = at or datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
        self.calls = []

    def supports(self, capability):
        return capability in self.capabilities

    def account_metrics(self):
        self.calls.append("account")
        if "account" in self.fail:
            raise self.fail["account"]
        return MetricSet(dict(self.account), self.at)

    def post_metrics(self, remote_id):
        self.calls.append(remote_id)
        if remote_id in self.fail:
            raise self.fail[remote_id]
        return MetricSet(dict(self.posts.get(remote_id, {})), self.at)

    def close(self):
        pass


@pytest.fixture
def fake_network(monkeypatch):
    """Install a FakeConnector for every channel: returns a setter."""
    holder = {}

    def install(connector: FakeConnector) -> FakeConnector:
        holder["c"] = connector
        return connector

    monkeypatch.setattr("parvis.analytics.collect.get_connector", lambda *a, **k: holder["c"])
    return install
