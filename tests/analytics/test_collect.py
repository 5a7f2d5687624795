"""Collection through connectors: mapped names, absent figures, idempotent upserts, rate limits, planning."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parvis.analytics import collect, tasks
from parvis.analytics.models import CollectionState, MetricSnapshot, PostMetricSnapshot, PostStats
from parvis.networks import errors
from tests.analytics.conftest import FakeConnector, published
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

NIGHT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 03:00 in Paris


@pytest.mark.parametrize("network, scope, given, expected", [
    ("mastodon", "post", {"comments": 2, "shares": 3, "likes": 5, "quotes": 1}, {"comments": 2, "shares": 3,
                                                                                 "likes": 5, "quotes": 1}),
    ("bluesky", "post", {"likes": 5, "reposts": 3, "replies": 2, "bookmarks": 9},
     {"likes": 5, "shares": 3, "comments": 2, "bookmarks": 9}),
    ("bluesky", "account", {"followers": 10, "follows": 4, "posts": 7}, {"followers": 10, "following": 4, "posts": 7}),
    ("facebook", "account", {"follows": 900, "views": 5000, "engagements": 40},
     {"followers": 900, "impressions": 5000, "interactions": 40}),
    ("facebook", "account", {"followers": 1000, "follows": 900}, {"followers": 1000}),  # first name wins
    ("facebook", "post", {"views": 800, "reactions": 12, "comments": 3, "clicks": 4},
     {"impressions": 800, "likes": 12, "comments": 3, "clicks": 4}),
    ("instagram", "account", {"views": 100, "engagements": 7, "interactions": 30},
     {"impressions": 100, "engaged_accounts": 7, "interactions": 30}),
    ("mastodon", "post", {"likes": True, "shares": "3", "comments": float("nan")}, {}),  # not numbers: absent
    ("x", "post", {"unknown_figure": 4}, {}),
])
def test_names_are_mapped_per_network(network, scope, given, expected):
    assert collect.map_values(given, network, scope) == expected


def test_an_installation_can_add_names(monkeypatch):
    monkeypatch.setenv("PARVIS_METRIC_NAMES", '{"facebook": {"account": {"impressions": ["page_views_2027"]}}}')
    assert collect.map_values({"page_views_2027": 12.0}, "facebook", "account") == {"impressions": 12.0}


@pytest.mark.parametrize("network, values, expected", [
    ("mastodon", {"likes": 5, "shares": 3, "comments": 2}, 10),
    ("instagram", {"likes": 5, "interactions": 40}, 40),
    ("facebook", {"impressions": 500}, None),  # nothing to count: absent, not zero
    ("facebook", {"likes": 0, "comments": 0}, 0),  # measured zero
])
def test_interactions_per_network(network, values, expected):
    assert collect.interactions(values, network) == expected


def test_collection_is_idempotent_per_channel_metric_day(authority, channels, fake_network):
    fb = channels["facebook"]
    d = published(fb, NIGHT - timedelta(days=3), remote_id="p1")
    fake = fake_network(FakeConnector(account={"follows": 1200, "views": 5000},
                                      posts={"p1": {"views": 800, "reactions": 20, "comments": 5}}, at=NIGHT))
    first = collect.collect_channel(fb, now=NIGHT)
    assert (first.account_rows, first.posts, first.error) == (2, 1, "")
    fake.account["follows"] = 1210  # a second run the same night: the figure is replaced, not added
    fake.posts["p1"]["reactions"] = 25
    collect.collect_channel(fb, now=NIGHT + timedelta(minutes=20))
    rows = MetricSnapshot.objects.filter(channel=fb)
    assert sorted(rows.values_list("metric", "day", "value")) == [
        ("followers", date(2026, 3, 9), 1210.0), ("impressions", date(2026, 3, 9), 5000.0)]
    assert not rows.filter(metric="reach").exists()  # the network gave no reach: no row, not a zero
    assert PostMetricSnapshot.objects.filter(delivery=d).count() == 3
    stats = PostStats.objects.get(delivery=d)
    assert (stats.likes, stats.comments, stats.interactions, stats.impressions, stats.reach) == (25, 5, 30, 800, None)
    assert stats.followers == 1200  # no count on the day of publication: the first one after, then kept


def test_first_48_hours_are_hourly_then_daily(authority, channels, fake_network):
    fb = channels["facebook"]
    when = NIGHT - timedelta(hours=5)
    d = published(fb, when, remote_id="p1")
    fake = fake_network(FakeConnector(posts={"p1": {"views": 10}}))
    for hours in (0, 0.5, 1, 30, 50, 60):  # 0 and 0.5 share an hour; 50 and 60 share a UTC day
        fake.at = NIGHT + timedelta(hours=hours)
        collect.collect_channel(fb, now=fake.at, scope="fresh" if hours < 43 else "nightly")
    moments = list(PostMetricSnapshot.objects.filter(delivery=d).order_by("taken_at").values_list("taken_at",
                                                                                                 flat=True))
    assert moments == [NIGHT, NIGHT + timedelta(hours=1), NIGHT + timedelta(hours=30),
                       datetime(2026, 3, 12, 0, 0, tzinfo=UTC)]


def test_fresh_runs_leave_account_figures_to_the_night(authority, channels, fake_network):
    fake = fake_network(FakeConnector(account={"followers": 5}))
    collect.collect_channel(channels["mastodon"], now=NIGHT, scope="fresh")
    assert "account" not in fake.calls and not MetricSnapshot.objects.exists()


def test_a_deleted_post_is_skipped_and_the_others_measured(authority, channels, fake_network):
    fb = channels["facebook"]
    published(fb, NIGHT - timedelta(days=1), remote_id="gone")
    published(fb, NIGHT - timedelta(days=2), remote_id="ok")
    fake_network(FakeConnector(posts={"ok": {"views": 3}}, fail={"gone": errors.Permanent("introuvable")}))
    out = collect.collect_channel(fb, now=NIGHT)
    assert (out.posts, out.skipped) == (1, 1)
    assert PostStats.objects.count() == 1


def test_a_rate_limit_stops_the_run_and_says_until_when(authority, channels, fake_network):
    fb = channels["facebook"]
    for i in range(3):
        published(fb, NIGHT - timedelta(days=i + 1), remote_id=f"p{i}")
    until = NIGHT + timedelta(hours=1)
    fake = fake_network(FakeConnector(posts={"p0": {"views": 1}}, fail={"p1": errors.RateLimited(retry_at=until)}))
    out = collect.collect_channel(fb, now=NIGHT)
    assert out.rate_limited_until == until and out.posts == 1 and out.remaining == 2
    assert "p2" not in fake.calls  # no hammering after the network said stop
    assert "Limite de débit" in CollectionState.objects.get(channel=fb).last_error


def _queued(path_end: str) -> list[tuple]:
    from django_tasks_db.models import DBTaskResult

    return [(r.args_kwargs["args"], r.run_after) for r in DBTaskResult.objects.order_by("id")
            if r.task_path.endswith(path_end)]


def test_the_task_enqueues_itself_again_after_a_rate_limit(authority, channels, fake_network, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    until = NIGHT + timedelta(hours=1)
    fake_network(FakeConnector(fail={"account": errors.RateLimited(retry_at=until)}))
    result = tasks.collect_channel_metrics.call(channels["facebook"].id)
    assert result["rate_limited_until"] == until.isoformat()
    assert _queued("collect_channel_metrics") == [([channels["facebook"].id, "nightly"], until)]


def test_budget_per_run_keeps_the_rest_for_later(authority, channels, fake_network, monkeypatch):
    monkeypatch.setitem(collect.POST_CALLS_PER_RUN, "facebook", 2)
    fb = channels["facebook"]
    for i in range(5):
        published(fb, NIGHT - timedelta(days=i + 1), remote_id=f"p{i}")
    fake = fake_network(FakeConnector())
    out = collect.collect_channel(fb, now=NIGHT)
    assert (out.posts, out.remaining) == (2, 3)
    assert fake.calls == ["account", "p0", "p1"]  # newest first


def test_only_followed_posts_are_measured_each_night(authority, channels, fake_network):
    fb = channels["facebook"]
    published(fb, NIGHT - timedelta(days=40), remote_id="old")
    published(fb, NIGHT - timedelta(days=2), remote_id="recent")
    fake = fake_network(FakeConnector())
    collect.collect_channel(fb, now=NIGHT)
    assert fake.calls == ["account", "recent"]
    fake.calls.clear()
    collect.collect_channel(fb, now=NIGHT, scope="backfill", days=60)
    assert fake.calls == ["account", "recent", "old"]


def test_a_channel_without_usable_credentials_is_reported(authority, channels):
    fb = channels["facebook"]
    fb.credentials = b"not-a-token"
    fb.save()
    out = collect.collect_channel(fb, now=NIGHT)
    assert out.error and CollectionState.objects.get(channel=fb).last_error


def test_the_night_is_spread_per_network():
    paris = ZoneInfo("Europe/Paris")
    plan = collect.night_plan([(1, "x"), (2, "x"), (3, "x"), (4, "x"), (5, "mastodon")], date(2026, 3, 10), paris)
    x_times = sorted(plan[i] for i in (1, 2, 3, 4))
    assert [b - a for a, b in zip(x_times, x_times[1:], strict=False)] == [timedelta(hours=1)] * 3
    assert all(datetime(2026, 3, 10, 0, 0, tzinfo=UTC) <= t < datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
               for t in plan.values())  # 01:00–05:00 Paris = 00:00–04:00 UTC in March


@pytest.mark.parametrize("now, tz, night", [
    (datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "Europe/Paris", date(2026, 3, 10)),  # 03:00: tonight still runs
    (datetime(2026, 3, 10, 12, 0, tzinfo=UTC), "Europe/Paris", date(2026, 3, 11)),
    (datetime(2026, 3, 9, 22, 0, tzinfo=UTC), "Indian/Reunion", date(2026, 3, 10)),  # 02:00 in Réunion
])
def test_next_night_in_the_authority_time_zone(now, tz, night):
    assert collect.next_night(now, ZoneInfo(tz)) == night


def test_planning_enqueues_each_channel_once_per_night(authority, channels, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ChannelFactory(authority=authority, network="x", status="reconnect")  # not collected while disconnected
    assert tasks.plan_collection.call() == 2
    assert tasks.plan_collection.call() == 0  # a second clock, or the next hour: nothing more
    queued = _queued("collect_channel_metrics")
    assert sorted(args[0] for args, _ in queued) == sorted(c.id for c in channels.values())
    assert all(args[1] == "nightly" and run_after is not None for args, run_after in queued)
