"""Collection of figures through the connectors: one channel at a time, idempotent upserts.

Connectors name figures their own way (Mastodon "shares" are reblogs, Bluesky says "reposts", Meta renames
its insights every year). The tables below map them to Parvis names, per network, as data; an installation
can add names without a code change through PARVIS_METRIC_NAMES, e.g.
'{"facebook": {"account": {"impressions": ["page_views_new"]}}}'. A figure the connector does not give gets
no row: absent, never zero.

Network calls happen outside any transaction; each write is a short upsert, so a run cut in the middle
leaves consistent rows and the next run simply overwrites the same (channel, metric, day).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from parvis.channels.crypto import CredentialsError, decrypt
from parvis.channels.models import Channel
from parvis.domain import kpi
from parvis.networks import errors
from parvis.networks.registry import get_connector
from parvis.networks.types import Credentials
from parvis.publishing.models import Delivery

from .models import CollectionState, MetricSnapshot, PostMetricSnapshot, PostStats

log = logging.getLogger("parvis.analytics")

# Parvis names. "impressions" is what Meta now calls "views" (views replaced impressions in 2025).
ACCOUNT_METRICS = ("followers", "following", "posts", "impressions", "reach", "interactions",
                   "engaged_accounts", "new_followers", "video_views", "story_views")
POST_METRICS = ("impressions", "reach", "interactions", "likes", "comments", "shares", "saves", "quotes",
                "bookmarks", "clicks", "video_views", "story_views")

# Figures that are a level (read the last value of a period) rather than a daily flow (add the days up).
STOCK_METRICS = frozenset({"followers", "following", "posts"})

# network → scope → Parvis name → connector names, first found wins. A Parvis name always also accepts
# itself (after the listed names), so a connector that already speaks Parvis needs no entry.
METRIC_NAMES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "facebook": {
        "account": {"followers": ("followers", "follows"), "impressions": ("views",),
                    "interactions": ("engagements",), "new_followers": ("new_follows",)},
        "post": {"impressions": ("views",), "likes": ("reactions",)},
    },
    "instagram": {
        "account": {"impressions": ("views",), "engaged_accounts": ("engagements",)},
        "post": {"impressions": ("views",), "saves": ("saved",)},
    },
    "threads": {"post": {"impressions": ("views",), "comments": ("replies",), "shares": ("reposts",)}},
    "x": {
        "account": {"followers": ("followers_count",), "following": ("following_count",)},
        "post": {"impressions": ("impression_count",), "likes": ("like_count",), "comments": ("replies",),
                 "shares": ("reposts", "retweets")},
    },
    "linkedin": {"post": {"impressions": ("impressionCount",), "reach": ("uniqueImpressionsCount",)}},
    "youtube": {"account": {"followers": ("subscribers",)}, "post": {"impressions": ("views",)}},
    "tiktok": {"post": {"video_views": ("views",)}},
    "mastodon": {},  # followers, following, posts; comments, shares (reblogs), likes (favourites), quotes
    "bluesky": {
        "account": {"following": ("follows",)},
        "post": {"comments": ("replies",), "shares": ("reposts",)},
    },
    "snapchat": {"post": {"impressions": ("views",), "reach": ("viewers",)}},
}

# What counts as an interaction on each network, when the network gives no total of its own.
INTERACTION_PARTS: dict[str, tuple[str, ...]] = {
    "facebook": ("likes", "comments", "shares"),
    "instagram": ("likes", "comments", "shares", "saves"),
    "threads": ("likes", "comments", "shares", "quotes"),
    "x": ("likes", "comments", "shares", "quotes", "bookmarks"),
    "linkedin": ("likes", "comments", "shares", "clicks"),
    "youtube": ("likes", "comments", "shares"),
    "tiktok": ("likes", "comments", "shares"),
    "mastodon": ("likes", "comments", "shares", "quotes"),
    "bluesky": ("likes", "comments", "shares", "quotes"),
    "snapchat": ("shares",),
}
DEFAULT_INTERACTION_PARTS = ("likes", "comments", "shares")

# Post lookups per channel and per run, so that one channel never eats a network's hourly budget
# (X bills each read; Instagram's budget is 4,800 × impressions per day; Mastodon 300 calls / 5 min).
POST_CALLS_PER_RUN: dict[str, int] = {"x": 50, "instagram": 150, "facebook": 150, "threads": 150}
DEFAULT_POST_CALLS_PER_RUN = 300
# Posts are followed daily for this long (day 1, 7 and 30 figures); older ones keep their last figures.
FOLLOW_DAYS = 31
INTRADAY_HOURS = 48
# A short wait the backfill command accepts in place of stopping (seconds).
MAX_INLINE_WAIT_S = 60.0


def metric_names(network: str, scope: str) -> dict[str, tuple[str, ...]]:
    own = dict(METRIC_NAMES.get(network, {}).get(scope, {}))
    raw = os.environ.get("PARVIS_METRIC_NAMES", "")
    if raw:
        try:
            extra = json.loads(raw).get(network, {}).get(scope, {})
        except (ValueError, AttributeError):
            extra = {}
        for ours, theirs in (extra or {}).items():
            own[ours] = (theirs,) if isinstance(theirs, str) else tuple(theirs)
    names = ACCOUNT_METRICS if scope == "account" else POST_METRICS
    return {ours: (*own.get(ours, ()), ours) for ours in {*names, *own}}


def map_values(values: dict[str, float], network: str, scope: str) -> dict[str, float]:
    """Connector figures → Parvis figures. Anything not numeric is dropped (absent, not zero)."""
    out = {}
    for ours, theirs in metric_names(network, scope).items():
        for name in theirs:
            v = values.get(name)
            if isinstance(v, int | float) and not isinstance(v, bool) and v == v:  # v == v: not NaN
                out[ours] = float(v)
                break
    return out


def interactions(values: dict[str, float], network: str) -> float | None:
    return kpi.interactions_of(values, INTERACTION_PARTS.get(network, DEFAULT_INTERACTION_PARTS))


def snapshot_day(collected_at: datetime, tz) -> date:
    """The local day a figure describes: the nightly run (01:00–05:00) records the day that just ended."""
    return (collected_at.astimezone(tz) - timedelta(hours=6)).date()


def post_bucket(taken_at: datetime, published_at: datetime) -> datetime:
    """Hourly rows during the first 48 hours, then one row per UTC day: re-running overwrites, never adds."""
    taken_at = taken_at.astimezone(UTC)
    if taken_at - published_at < timedelta(hours=INTRADAY_HOURS):
        return taken_at.replace(minute=0, second=0, microsecond=0)
    return taken_at.replace(hour=0, minute=0, second=0, microsecond=0)


# --- writes ---------------------------------------------------------------------------------------------


def store_account(channel: Channel, values: dict[str, float], collected_at: datetime) -> int:
    day = snapshot_day(collected_at, channel.authority.tz)
    rows = [MetricSnapshot(channel=channel, metric=m, day=day, value=v, collected_at=collected_at)
            for m, v in values.items()]
    MetricSnapshot.objects.bulk_create(rows, update_conflicts=True, unique_fields=["channel", "metric", "day"],
                                       update_fields=["value", "collected_at"])
    return len(rows)


def followers_on(channel_id: int, day: date) -> float | None:
    """The channel's followers on `day`: the last count on or before it, else the first one after."""
    rows = MetricSnapshot.objects.filter(channel_id=channel_id, metric="followers")
    before = rows.filter(day__lte=day).order_by("-day").values_list("value", flat=True).first()
    if before is not None:
        return before
    return rows.order_by("day").values_list("value", flat=True).first()


def store_post(delivery: Delivery, network: str, values: dict[str, float], collected_at: datetime) -> int:
    taken = post_bucket(collected_at, delivery.published_at)
    rows = [PostMetricSnapshot(delivery=delivery, metric=m, taken_at=taken, value=v) for m, v in values.items()]
    PostMetricSnapshot.objects.bulk_create(rows, update_conflicts=True,
                                           unique_fields=["delivery", "metric", "taken_at"], update_fields=["value"])
    stats = PostStats.objects.filter(delivery=delivery).only("followers").first()
    followers = stats.followers if stats and stats.followers is not None else followers_on(
        delivery.channel_id, delivery.published_at.astimezone(delivery.channel.authority.tz).date())
    figures = {k: values.get(k) for k in ("impressions", "reach", "likes", "comments", "shares", "video_views")}
    PostStats.objects.update_or_create(delivery=delivery, defaults=dict(
        authority_id=delivery.authority_id, channel_id=delivery.channel_id, published_at=delivery.published_at,
        values=values, interactions=interactions(values, network), followers=followers, updated_at=collected_at,
        **figures))
    return len(rows)


# --- one channel ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    channel_id: int
    account_rows: int = 0
    posts: int = 0  # publications measured
    skipped: int = 0  # publications the network could not give (deleted, transient error)
    remaining: int = 0  # publications left for a later run (budget or rate limit)
    rate_limited_until: datetime | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"channel": self.channel_id, "account_rows": self.account_rows, "posts": self.posts,
                "skipped": self.skipped, "remaining": self.remaining, "error": self.error,
                "rate_limited_until": self.rate_limited_until.isoformat() if self.rate_limited_until else None}


def connector_for(channel: Channel):
    return get_connector(
        channel.network, Credentials(channel.handle, decrypt(channel.credentials)), sandbox=channel.is_sandbox,
        base_url=None if channel.is_sandbox else (channel.instance_url or None),
        timeout=getattr(settings, "NETWORK_TIMEOUT_SECONDS", 20.0),
    )


def deliveries_to_measure(channel: Channel, *, now: datetime, scope: str, days: int | None = None):
    """Published deliveries of the channel, newest first: `fresh` = first 48 hours, `nightly` = the days
    they are followed, `backfill` = the last `days` days (all of them when None)."""
    qs = Delivery.objects.filter(channel=channel, state="published", published_at__isnull=False,
                                 published_at__lte=now).exclude(remote_id="")
    if scope == "fresh":
        qs = qs.filter(published_at__gt=now - timedelta(hours=INTRADAY_HOURS))
    elif scope == "nightly":
        qs = qs.filter(published_at__gt=now - timedelta(days=FOLLOW_DAYS))
    elif days is not None:
        qs = qs.filter(published_at__gt=now - timedelta(days=days))
    return qs.select_related("channel__authority").order_by("-published_at", "-id")


def _retry_at(exc: errors.RateLimited, now: datetime) -> datetime:
    if exc.retry_at:
        return exc.retry_at
    return now + timedelta(seconds=exc.retry_after_s if exc.retry_after_s else 900)


def collect_channel(channel: Channel | int, *, now: datetime | None = None, scope: str = "nightly",
                    days: int | None = None, budget: int | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    sleep: Callable[[float], None] | None = None) -> Outcome:
    """Measure one channel: its account figures (not for `fresh`), then its publications.

    A rate limit stops the run and says until when (the task re-enqueues itself then); with `sleep`
    (the backfill command) a short limit is waited out instead.
    """
    if not isinstance(channel, Channel):
        channel = Channel.objects.select_related("authority").get(pk=channel)
    now = now or timezone.now()
    out = Outcome(channel.id)
    try:
        connector = connector_for(channel)
    except (CredentialsError, ValueError, NotImplementedError) as exc:
        out.error = str(exc)
        _remember(channel, out, now)
        return out
    try:
        if scope != "fresh" and connector.supports("account_metrics"):
            try:
                ms = connector.account_metrics()
                out.account_rows = store_account(channel, map_values(ms.values, channel.network, "account"),
                                                 ms.collected_at or now)
            except errors.RateLimited as exc:
                out.rate_limited_until = _retry_at(exc, now)
            except errors.NetworkError as exc:
                out.error = f"Mesures du compte indisponibles : {exc}"
        if out.rate_limited_until is None and connector.supports("post_metrics"):
            _collect_posts(connector, channel, out, now=now, scope=scope, days=days, budget=budget,
                           progress=progress, sleep=sleep)
    finally:
        connector.close()
    _remember(channel, out, now)
    return out


def _collect_posts(connector, channel, out: Outcome, *, now, scope, days, budget, progress, sleep):
    deliveries = list(deliveries_to_measure(channel, now=now, scope=scope, days=days))
    limit = budget if budget is not None else POST_CALLS_PER_RUN.get(channel.network, DEFAULT_POST_CALLS_PER_RUN)
    if scope == "backfill" and budget is None:
        limit = len(deliveries)
    todo = deliveries[:limit]
    out.remaining = len(deliveries) - len(todo)
    for i, d in enumerate(todo):
        while True:
            try:
                ms = connector.post_metrics(d.remote_id)
            except errors.RateLimited as exc:
                until = _retry_at(exc, now)
                wait = (until - timezone.now()).total_seconds()
                if sleep is not None and wait <= MAX_INLINE_WAIT_S:
                    sleep(max(wait, 0.0))
                    continue
                out.rate_limited_until = until
                out.remaining += len(todo) - i
                return
            except errors.AuthExpired as exc:
                out.error = f"Connexion expirée : {exc}"
                out.remaining += len(todo) - i
                return
            except (errors.NetworkError, NotImplementedError) as exc:
                out.skipped += 1
                out.notes.append(f"{d.remote_id} : {exc}")
                ms = None
            break
        if ms is not None:
            store_post(d, channel.network, map_values(ms.values, channel.network, "post"), ms.collected_at or now)
            out.posts += 1
        if progress:
            progress(i + 1, len(todo))


def _remember(channel: Channel, out: Outcome, now: datetime) -> None:
    if out.error or out.rate_limited_until:
        message = out.error or f"Limite de débit du réseau : reprise après {out.rate_limited_until:%d/%m %H:%M} UTC."
        CollectionState.objects.update_or_create(channel=channel,
                                                 defaults={"last_error": message, "last_error_at": now})
    else:
        CollectionState.objects.update_or_create(channel=channel, defaults={"last_ok_at": now, "last_error": ""})


# --- planning the night ---------------------------------------------------------------------------------

NIGHT_START_HOUR = 1
NIGHT_HOURS = 4


def night_plan(channels: list[tuple[int, str]], night: date, tz) -> dict[int, datetime]:
    """When each channel is collected during the night of `night` (01:00–05:00 local): the channels of one
    network are spread evenly over the window, so they never hit that network's limits together."""
    by_network: dict[str, list[int]] = {}
    for cid, network in sorted(channels, key=lambda c: (c[1], c[0])):
        by_network.setdefault(network, []).append(cid)
    start = datetime.combine(night, datetime.min.time().replace(hour=NIGHT_START_HOUR), tz)
    window = timedelta(hours=NIGHT_HOURS)
    plan = {}
    for n, (_network, ids) in enumerate(sorted(by_network.items())):
        shift = timedelta(minutes=(7 * n) % 30)  # networks do not all start at 01:00 sharp
        for i, cid in enumerate(ids):
            plan[cid] = (start + shift + window * i / len(ids)).astimezone(UTC)
    return plan


def next_night(now: datetime, tz) -> date:
    local = now.astimezone(tz)
    return local.date() if local.hour < NIGHT_START_HOUR + NIGHT_HOURS else local.date() + timedelta(days=1)


def channels_to_collect():
    return Channel.objects.filter(status=Channel.Status.ACTIVE).select_related("authority")


def claim_night(channel_id: int, night: date) -> bool:
    """True for the one planner that marks this channel for this night (several clocks may run)."""
    CollectionState.objects.get_or_create(channel_id=channel_id)
    return bool(CollectionState.objects.filter(
        Q(planned_for__isnull=True) | Q(planned_for__lt=night), channel_id=channel_id).update(planned_for=night))
