"""Reads of the measures, scoped to one authority. Each page needs a fixed handful of aggregate queries,
whatever the number of days, channels or publications (bench/dashboard.py checks it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, FloatField, Max, Q, Sum
from django.db.models.functions import Cast
from django.http import Http404

from parvis.channels.models import Channel
from parvis.domain import kpi
from parvis.organisations.models import Authority
from parvis.publishing.models import Delivery

from .collect import STOCK_METRICS
from .models import MetricSnapshot, PostMetricSnapshot, PostStats

FLOW_METRICS = ("impressions", "reach", "interactions", "video_views", "story_views", "new_followers")
STOCK_GAP_DAYS = 7  # a stock figure older than this at the end of a period is not "the" figure

# Rankings of publications: key → (French label, ORM ordering expression).
RANKINGS = {
    "interactions": "Interactions",
    "impressions": "Impressions (vues)",
    "reach": "Portée",
    "per_follower": "Engagement par abonné",
    "per_impression": "Engagement par impression",
    "likes": "J'aime / réactions",
    "comments": "Commentaires",
    "shares": "Partages",
    "video_views": "Vues de vidéo",
}


@dataclass
class Compared:
    """One figure for the period, against the previous period and the same period last year."""

    current: float | None
    previous: kpi.Change
    last_year: kpi.Change


@dataclass
class ChannelFigures:
    channel: Channel
    figures: dict[str, Compared] = field(default_factory=dict)
    score: kpi.Score | None = None

    def value(self, key: str) -> float | None:
        c = self.figures.get(key)
        return c.current if c else None


def _bounds(period: kpi.Period, tz) -> tuple[datetime, datetime]:
    start = datetime.combine(period.start, time.min, tz)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tz)
    return start, end


def _stocks_at(channel_ids: list[int], days: dict[str, date]) -> dict[tuple[int, str, str], float]:
    """Last value of each stock metric on or before each named day (within STOCK_GAP_DAYS): one query."""
    wanted = {d - timedelta(days=k) for d in days.values() for k in range(STOCK_GAP_DAYS)}
    # A list of days, not ranges: SQLite then walks the (channel, metric, day) index for each of them.
    rows = MetricSnapshot.objects.filter(channel_id__in=channel_ids, metric__in=STOCK_METRICS,
                                         day__in=sorted(wanted)).values_list("channel_id", "metric", "day", "value")
    best: dict[tuple[int, str, str], tuple[date, float]] = {}
    for cid, metric, day, value in rows:
        for name, d in days.items():
            if d - timedelta(days=STOCK_GAP_DAYS) < day <= d:
                key = (cid, metric, name)
                if key not in best or best[key][0] < day:
                    best[key] = (day, value)
    return {k: v for k, (_, v) in best.items()}


def _flows(channel_ids, periods: dict[str, kpi.Period]) -> dict[tuple[int, str, str], float]:
    """Sum of each daily flow metric over each period: one grouped query."""
    cond = Q()
    for p in periods.values():
        cond |= Q(day__range=(p.start, p.end))
    aggs = {name: Sum("value", filter=Q(day__range=(p.start, p.end))) for name, p in periods.items()}
    out = {}
    for row in (MetricSnapshot.objects.filter(cond, channel_id__in=channel_ids, metric__in=FLOW_METRICS)
                .values("channel_id", "metric").annotate(**aggs).order_by()):
        for name in periods:
            if row[name] is not None:
                out[(row["channel_id"], row["metric"], name)] = row[name]
    return out


def _post_aggregates(authority, channel_ids, periods: dict[str, kpi.Period], tz) -> dict[tuple[int, str], kpi.Totals]:
    """Interactions and the three rates' inputs over the publications of each period: one grouped query per
    period, each a range of the (authority, published_at) index."""
    rate = Cast(F("interactions"), FloatField()) / F("followers")
    with_i = Q(interactions__isnull=False)
    aggs = {
        "a_posts": Count("pk"),
        "a_i": Sum("interactions"),
        "a_imp": Sum("impressions"),
        "a_reach": Sum("reach"),
        "a_ii": Sum("interactions", filter=with_i & Q(impressions__isnull=False)),
        "a_iimp": Sum("impressions", filter=with_i),
        "a_ir": Sum("interactions", filter=with_i & Q(reach__isnull=False)),
        "a_rr": Sum("reach", filter=with_i),
        "a_fsum": Sum(rate, filter=with_i & Q(followers__gt=0)),
        "a_fn": Count("pk", filter=with_i & Q(followers__gt=0)),
    }
    out = {}
    for name, p in periods.items():
        a, b = _bounds(p, tz)
        for g in (PostStats.objects.filter(authority=authority, published_at__gte=a, published_at__lt=b,
                                           channel_id__in=channel_ids)
                  .values("channel_id").annotate(**aggs).order_by()):
            out[(g["channel_id"], name)] = kpi.Totals(
                posts=g["a_posts"], interactions=g["a_i"], impressions=g["a_imp"], reach=g["a_reach"],
                impression_pairs=(g["a_ii"], g["a_iimp"]) if g["a_iimp"] else None,
                reach_pairs=(g["a_ir"], g["a_rr"]) if g["a_rr"] else None,
                follower_rate_sum=g["a_fsum"] or 0.0, follower_rate_posts=g["a_fn"])
    return out


def _post_counts(channel_ids, windows: dict[str, tuple[datetime, datetime]]) -> dict[tuple[int, str], int]:
    cond = Q()
    for a, b in windows.values():
        cond |= Q(published_at__gte=a, published_at__lt=b)
    aggs = {name: Count("pk", filter=Q(published_at__gte=a, published_at__lt=b)) for name, (a, b) in windows.items()}
    out = {}
    for row in (Delivery.objects.filter(cond, channel_id__in=channel_ids, state="published")
                .values("channel_id").annotate(**aggs).order_by()):
        for name in windows:
            out[(row["channel_id"], name)] = row[name]
    return out


def channel_figures(authority: Authority, channels: list[Channel], period: kpi.Period, *,
                    previous: kpi.Period | None = None) -> list[ChannelFigures]:
    """Every figure of the dashboard for these channels: current period, previous one (the same number of
    days before, or the one given: the report compares calendar months), same one last year."""
    tz = authority.tz
    periods = {"cur": period, "prev": previous or kpi.previous_period(period),
               "ly": kpi.same_period_last_year(period)}
    ids = [c.id for c in channels]
    if not ids:
        return []
    ends = {f"{n}_end": p.end for n, p in periods.items()} | {
        f"{n}_start": p.start - timedelta(days=1) for n, p in periods.items()}
    stocks = _stocks_at(ids, ends)
    flows = _flows(ids, periods)
    posts = _post_aggregates(authority, ids, periods, tz)
    windows = {n: _bounds(p, tz) for n, p in periods.items()}
    for n, p in periods.items():  # the 30 days that end with each period, for posts per day
        end = _bounds(p, tz)[1]
        windows[f"{n}_30"] = (end - timedelta(days=30), end)
    counts = _post_counts(ids, windows)
    result = []
    for c in channels:
        def stock(metric, when, cid=c.id):
            return stocks.get((cid, metric, when))

        values: dict[str, dict[str, float | None]] = {n: {} for n in periods}
        for n in periods:
            v = values[n]
            v["followers"] = stock("followers", f"{n}_end")
            v["following"] = stock("following", f"{n}_end")
            start = stock("followers", f"{n}_start")
            v["follower_growth"] = kpi.growth(start, v["followers"]).delta
            for m in FLOW_METRICS:
                v[m] = flows.get((c.id, m, n))
            t = posts.get((c.id, n), kpi.Totals())
            if v["interactions"] is None:  # the network gives no account total: add up the posts
                v["interactions"] = t.interactions
            v["posts"] = counts.get((c.id, n), 0)
            v["posts_per_day"] = counts.get((c.id, f"{n}_30"), 0) / 30
            v["per_impression"] = t.per_impression
            v["per_reach"] = t.per_reach
            v["per_follower"] = t.per_follower
            v["followers_per_1000"] = kpi.followers_per_thousand(v["followers"], authority.population)
            v["follower_ratio"] = kpi.follower_ratio(v["followers"], v["following"])
        cf = ChannelFigures(c)
        for key in values["cur"]:
            cur = values["cur"][key]
            cf.figures[key] = Compared(cur, kpi.compare(cur, values["prev"][key]),
                                       kpi.compare(cur, values["ly"][key]))
        cf.score = kpi.observatoire_score({
            "engagement_per_follower": values["cur"]["per_follower"],
            "followers_per_1000": values["cur"]["followers_per_1000"],
            "posts_per_day": values["cur"]["posts_per_day"],
            "followers": values["cur"]["followers"],
            "follower_ratio": values["cur"]["follower_ratio"],
        })
        result.append(cf)
    return result


def totals(figures: list[ChannelFigures]) -> dict[str, Compared]:
    """Authority-wide sums of the additive figures (followers, interactions, posts...)."""
    out = {}
    for key in ("followers", "follower_growth", "impressions", "reach", "interactions", "posts",
                "video_views", "story_views"):
        def add(pick, key=key):
            vals = [pick(f.figures[key]) for f in figures if key in f.figures]
            vals = [v for v in vals if v is not None]
            return sum(vals) if vals else None

        cur = add(lambda c: c.current)
        prev = add(lambda c: c.previous.reference)
        ly = add(lambda c: c.last_year.reference)
        out[key] = Compared(cur, kpi.compare(cur, prev), kpi.compare(cur, ly))
    return out


def daily_series(channel_ids: list[int], metric: str, start: date, end: date) -> dict[int, list[tuple[date, float]]]:
    out: dict[int, list[tuple[date, float]]] = {cid: [] for cid in channel_ids}
    for cid, day, value in (MetricSnapshot.objects.filter(channel_id__in=channel_ids, metric=metric,
                                                          day__range=(start, end))
                            .order_by("channel_id", "day").values_list("channel_id", "day", "value")):
        out[cid].append((day, value))
    return out


def summed_series(series: dict[int, list[tuple[date, float]]]) -> list[tuple[date, float]]:
    """The authority's total per day, only on days every channel with history has a figure (no dips)."""
    by_day: dict[date, list[float]] = {}
    for points in series.values():
        for d, v in points:
            by_day.setdefault(d, []).append(v)
    having = sum(1 for p in series.values() if p)
    return [(d, sum(vs)) for d, vs in sorted(by_day.items()) if len(vs) == having]


# --- publications ---------------------------------------------------------------------------------------


def ranked_publications(authority: Authority, period: kpi.Period, *, by: str = "interactions",
                        channel: Channel | None = None, limit: int | None = 20):
    if by not in RANKINGS:
        raise Http404("Mesure inconnue")
    a, b = _bounds(period, authority.tz)
    qs = PostStats.objects.filter(authority=authority, published_at__gte=a, published_at__lt=b)
    if channel is not None:
        qs = qs.filter(channel=channel)
    if by == "per_follower":
        qs = qs.filter(interactions__isnull=False, followers__gt=0).annotate(
            measure=Cast(F("interactions"), FloatField()) / F("followers"))
    elif by == "per_impression":
        qs = qs.filter(interactions__isnull=False, impressions__gt=0).annotate(
            measure=Cast(F("interactions"), FloatField()) / F("impressions"))
    else:
        qs = qs.filter(**{f"{by}__isnull": False}).annotate(measure=F(by))
    qs = qs.order_by("-measure", "-published_at", "-pk")
    if not limit:
        return qs.select_related("delivery__publication", "channel")
    # Rank on the one table first (its index bounds the period), then read the few rows to show.
    top = list(qs.values_list("pk", "measure")[:limit])
    rows = PostStats.objects.select_related("delivery__publication", "channel").in_bulk([pk for pk, _ in top])
    for pk, measure in top:
        rows[pk].measure = measure
    return [rows[pk] for pk, _ in top]


def publication_stats(authority: Authority, delivery_id: int) -> PostStats:
    try:
        return PostStats.objects.select_related("delivery__publication", "channel").get(
            authority=authority, delivery_id=delivery_id)
    except PostStats.DoesNotExist:
        raise Http404("Publication sans mesures") from None


def figures_over_time(stats: PostStats, network: str) -> tuple[list[dict], list[tuple[datetime, float]]]:
    """Figures at day 1, 7 and 30 after publication (the last snapshot before each), and the interactions
    over time."""
    from .collect import interactions

    by_moment: dict[datetime, dict[str, float]] = {}
    for metric, taken_at, value in (PostMetricSnapshot.objects.filter(delivery_id=stats.delivery_id)
                                    .order_by("taken_at").values_list("metric", "taken_at", "value")):
        by_moment.setdefault(taken_at, {})[metric] = value
    moments = sorted(by_moment)
    milestones = []
    for n in (1, 7, 30):
        limit = stats.published_at + timedelta(days=n)
        before = [m for m in moments if m <= limit]
        values = by_moment[before[-1]] if before else {}
        milestones.append({"day": n, "reached": bool(before) and moments[-1] >= limit - timedelta(hours=1),
                           "values": values, "interactions": interactions(values, network) if values else None})
    curve = [(m, i) for m in moments if (i := interactions(by_moment[m], network)) is not None]
    return milestones, curve


def latest_snapshot_day(channel_ids: list[int]) -> date | None:
    return MetricSnapshot.objects.filter(channel_id__in=channel_ids).aggregate(d=Max("day"))["d"]


# --- best times -----------------------------------------------------------------------------------------


def heat_map(channel: Channel, now: datetime) -> tuple[kpi.HeatMap, kpi.HeatMap | None]:
    """The channel's own heat map, and when it is too thin, the pattern of its peers (same network, same
    kind of authority, this deployment) in their own local time."""
    since = now - timedelta(weeks=kpi.HISTORY_WEEKS)
    tz = channel.authority.tz
    own = [kpi.PostSample(t, i, f) for t, i, f in PostStats.objects.filter(
        channel=channel, published_at__gt=since, published_at__lte=now).values_list(
        "published_at", "interactions", "followers")]
    mine = kpi.best_times(own, tz, now)
    if not mine.too_thin:
        return mine, None
    zones: dict[str, object] = {}
    peers = []
    for t, i, f, tz_name in (PostStats.objects.filter(
            channel__network=channel.network, authority__kind=channel.authority.kind, published_at__gt=since,
            published_at__lte=now).exclude(channel=channel)
            .values_list("published_at", "interactions", "followers", "authority__timezone")[:20000]):
        if tz_name not in zones:
            from zoneinfo import ZoneInfo

            zones[tz_name] = ZoneInfo(tz_name)
        peers.append(kpi.PostSample(t, i, f, zones[tz_name]))
    return mine, kpi.best_times(peers, tz, now)


def channels_of(authority: Authority) -> list[Channel]:
    return list(Channel.objects.filter(authority=authority).select_related("authority").order_by("network", "handle"))


def channel_of(authority: Authority, pk: int) -> Channel:
    try:
        return Channel.objects.select_related("authority").get(authority=authority, pk=pk)
    except Channel.DoesNotExist:
        raise Http404("Compte introuvable") from None
