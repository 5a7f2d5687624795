"""KPI formulas of the field (DOMAIN.md, "Measures the field uses"). Pure: no Django, no I/O, no clock.

Every rate says which formula it is. A missing input gives None (the figure is not shown), never zero; a
zero denominator also gives None: "0 % of nothing" would be a fake figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

Number = int | float

# --- the three engagement rates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    key: str
    label_fr: str
    formula_fr: str


FORMULAS: dict[str, Formula] = {
    "per_impression": Formula("per_impression", "Engagement par impression",
                              "interactions ÷ impressions (vues)"),
    "per_reach": Formula("per_reach", "Engagement par portée", "interactions ÷ portée (comptes touchés)"),
    "per_follower": Formula("per_follower", "Engagement par abonné", "interactions ÷ abonnés"),
    "followers_per_1000": Formula("followers_per_1000", "Abonnés pour 1 000 habitants",
                                  "abonnés ÷ population × 1 000"),
    "posts_per_day": Formula("posts_per_day", "Publications par jour", "publications des 30 derniers jours ÷ 30"),
    "follower_ratio": Formula("follower_ratio", "Abonnés par abonnement", "abonnés ÷ abonnements"),
}


def _usable(value: Number | None) -> bool:
    return value is not None and not isinstance(value, bool) and math.isfinite(value)


def ratio(numerator: Number | None, denominator: Number | None) -> float | None:
    """numerator ÷ denominator; None when an input is missing or the denominator is zero or negative."""
    if not (_usable(numerator) and _usable(denominator)) or denominator <= 0:
        return None
    return numerator / denominator


def engagement_per_impression(interactions: Number | None, impressions: Number | None) -> float | None:
    return ratio(interactions, impressions)


def engagement_per_reach(interactions: Number | None, reach: Number | None) -> float | None:
    return ratio(interactions, reach)


def engagement_per_follower(interactions: Number | None, followers: Number | None) -> float | None:
    return ratio(interactions, followers)


def followers_per_thousand(followers: Number | None, population: Number | None) -> float | None:
    value = ratio(followers, population)
    return None if value is None else value * 1000


def follower_ratio(followers: Number | None, following: Number | None) -> float | None:
    return ratio(followers, following)


def posts_per_day(published: Iterable[datetime], now: datetime, days: int = 30) -> float:
    """Posts in the `days` days before `now` (now included, now − days excluded), per day."""
    if days <= 0:
        raise ValueError("days must be positive")
    start = now - timedelta(days=days)
    return sum(1 for t in published if start < t <= now) / days


# --- growth and comparisons -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A figure against a reference: the real difference, and the relative one only when it means something."""

    current: float | None
    reference: float | None

    @property
    def delta(self) -> float | None:
        if not (_usable(self.current) and _usable(self.reference)):
            return None
        return self.current - self.reference

    @property
    def relative(self) -> float | None:
        """delta ÷ |reference|; None without a reference or with a zero one (no "+∞ %")."""
        if self.delta is None or self.reference == 0:
            return None
        return self.delta / abs(self.reference)


def growth(start: Number | None, end: Number | None) -> Change:
    """Follower growth between two counts (start of period, end of period)."""
    return Change(current=end, reference=start)


def compare(current: Number | None, reference: Number | None) -> Change:
    return Change(current=current, reference=reference)


@dataclass(frozen=True)
class Period:
    start: date  # first day, included
    end: date  # last day, included

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("a period ends on or after its first day")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def previous_period(period: Period) -> Period:
    """The period of the same length that ends the day before."""
    end = period.start - timedelta(days=1)
    return Period(end - timedelta(days=period.days - 1), end)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year - 1, day=28)


def same_period_last_year(period: Period) -> Period:
    return Period(_year_before(period.start), _year_before(period.end))


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return Period(start, nxt - timedelta(days=1))


def previous_month(period: Period) -> Period:
    """The calendar month before the one `period` starts in (not the same number of days)."""
    last = period.start.replace(day=1) - timedelta(days=1)
    return month_period(last.year, last.month)


# --- Observatoire-style score ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    key: str
    label_fr: str
    weight: int
    target: float  # the value that earns full marks
    log_scale: bool = False  # follower counts grow by orders of magnitude


# Weights 5/4/3/2/1 (DOMAIN.md). Targets are the "very good" values of the field: ≈ 5 % engagement per
# follower; they are data and an installation can pass its own.
SCORE_CRITERIA: tuple[Criterion, ...] = (
    Criterion("engagement_per_follower", "Engagement par abonné", 5, 0.05),
    Criterion("followers_per_1000", "Abonnés pour 1 000 habitants", 4, 300.0),
    Criterion("posts_per_day", "Publications par jour (30 jours)", 3, 1.0),
    Criterion("followers", "Nombre d'abonnés", 2, 100_000.0, log_scale=True),
    Criterion("follower_ratio", "Abonnés ÷ abonnements", 1, 10.0),
)


@dataclass(frozen=True)
class ScorePart:
    key: str
    label_fr: str
    weight: int
    value: float | None
    target: float
    normalised: float | None  # 0..1, None when the input is missing
    points: float | None  # weight × normalised


@dataclass(frozen=True)
class Score:
    parts: tuple[ScorePart, ...]
    total: float | None  # 0..100 over the criteria that have inputs; None when none has
    weight_used: int
    weight_possible: int

    @property
    def complete(self) -> bool:
        return self.weight_used == self.weight_possible


def _normalise(value: float, criterion: Criterion) -> float:
    if value <= 0:
        return 0.0
    if criterion.log_scale:
        # log10(1 + value) on log10(1 + target): 1,000 followers ≈ 0.6 of 100,000.
        return min(math.log10(1 + value) / math.log10(1 + criterion.target), 1.0)
    return min(value / criterion.target, 1.0)


def observatoire_score(inputs: Mapping[str, Number | None],
                       criteria: tuple[Criterion, ...] = SCORE_CRITERIA) -> Score:
    """Weighted score on 100. A criterion without input is left out and said so (its weight is not used):
    a network that gives no followings does not lose points for it, and the score says it is partial."""
    parts = []
    used = 0
    points_sum = 0.0
    for c in criteria:
        value = inputs.get(c.key)
        if _usable(value):
            n = _normalise(float(value), c)
            parts.append(ScorePart(c.key, c.label_fr, c.weight, float(value), c.target, n, c.weight * n))
            used += c.weight
            points_sum += c.weight * n
        else:
            parts.append(ScorePart(c.key, c.label_fr, c.weight, None, c.target, None, None))
    possible = sum(c.weight for c in criteria)
    total = 100 * points_sum / used if used else None
    return Score(tuple(parts), total, used, possible)


# --- best times to post ---------------------------------------------------------------------------------

SLOTS_PER_DAY = 48  # 30-minute slots
HISTORY_WEEKS = 16
MIN_POSTS = 12  # below this the channel's own history is "too thin"
MIN_SLOTS = 5  # ... or when the posts fall in fewer distinct slots


@dataclass(frozen=True)
class PostSample:
    published_at: datetime  # aware
    interactions: float | None
    followers: float | None
    tz: ZoneInfo | None = None  # a peer's own time zone: its wall-clock slot is what compares


@dataclass(frozen=True)
class Cell:
    weekday: int  # 0 = Monday
    slot: int  # 0 = 00:00–00:30 local
    mean: float  # mean engagement per follower of the posts in this cell
    posts: int

    @property
    def label(self) -> str:
        return slot_label(self.slot)


@dataclass(frozen=True)
class HeatMap:
    cells: dict[tuple[int, int], Cell]
    posts: int  # usable posts in the window
    too_thin: bool
    reason_fr: str = ""
    weeks: int = HISTORY_WEEKS
    max_mean: float = 0.0

    def best(self, k: int = 5, min_posts: int = 1) -> list[Cell]:
        ranked = [c for c in self.cells.values() if c.posts >= min_posts]
        ranked.sort(key=lambda c: (-c.mean, -c.posts, c.weekday, c.slot))
        return ranked[:k]

    def grid(self) -> list[list[Cell | None]]:
        """7 rows (Monday first) × 48 slots."""
        return [[self.cells.get((d, s)) for s in range(SLOTS_PER_DAY)] for d in range(7)]


def slot_label(slot: int) -> str:
    minutes = slot * 30
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slot_of(moment: datetime, tz: ZoneInfo) -> tuple[int, int]:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    local = moment.astimezone(tz)
    return local.weekday(), (local.hour * 60 + local.minute) // 30


def best_times(samples: Iterable[PostSample], tz: ZoneInfo, now: datetime, *, weeks: int = HISTORY_WEEKS,
               min_posts: int = MIN_POSTS, min_slots: int = MIN_SLOTS) -> HeatMap:
    """Engagement per follower by weekday × 30-minute slot in the authority's time zone, from the posts
    of the last `weeks` weeks. Posts without interactions or followers are left out (unknown, not zero)."""
    start = now - timedelta(weeks=weeks)
    sums: dict[tuple[int, int], list[float]] = {}
    for s in samples:
        if not (start < s.published_at <= now):
            continue
        rate = engagement_per_follower(s.interactions, s.followers)
        if rate is None:
            continue
        sums.setdefault(slot_of(s.published_at, s.tz or tz), []).append(rate)
    cells = {k: Cell(k[0], k[1], sum(v) / len(v), len(v)) for k, v in sums.items()}
    posts = sum(c.posts for c in cells.values())
    reason = ""
    if posts < min_posts:
        reason = (f"Historique trop mince : {posts} publication(s) mesurée(s) sur les {weeks} dernières "
                  f"semaines, il en faut au moins {min_posts}.")
    elif len(cells) < min_slots:
        reason = (f"Historique trop mince : les publications tombent sur {len(cells)} créneau(x) seulement, "
                  f"il en faut au moins {min_slots} pour comparer.")
    max_mean = max((c.mean for c in cells.values()), default=0.0)
    return HeatMap(cells, posts, bool(reason), reason, weeks, max_mean)


# --- interactions per network ---------------------------------------------------------------------------


def interactions_of(values: Mapping[str, float], parts: tuple[str, ...]) -> float | None:
    """The network's own total when it gives one ("interactions"), else the sum of the parts it gives;
    None when it gives none of them."""
    if _usable(values.get("interactions")):
        return float(values["interactions"])
    present = [float(values[p]) for p in parts if _usable(values.get(p))]
    return sum(present) if present else None


@dataclass(frozen=True)
class Totals:
    """Sums over posts. Each rate uses only the posts that have both of its inputs, so no rate mixes known
    and unknown figures."""

    posts: int = 0
    interactions: float | None = None
    impressions: float | None = None
    reach: float | None = None
    impression_pairs: tuple[float, float] | None = None  # (interactions, impressions) over posts with both
    reach_pairs: tuple[float, float] | None = None
    follower_rate_sum: float = 0.0  # sum over posts of interactions ÷ followers
    follower_rate_posts: int = 0  # posts that have both

    @property
    def per_impression(self) -> float | None:
        return ratio(*self.impression_pairs) if self.impression_pairs else None

    @property
    def per_reach(self) -> float | None:
        return ratio(*self.reach_pairs) if self.reach_pairs else None

    @property
    def per_follower(self) -> float | None:
        """Mean over posts of interactions ÷ followers (the field's "≈ 5 % is very good" figure)."""
        if not self.follower_rate_posts:
            return None
        return self.follower_rate_sum / self.follower_rate_posts


def _add(total: float | None, value: float) -> float:
    return value if total is None else total + value


def post_totals(rows: Iterable[Mapping[str, float | None]]) -> Totals:
    """rows: {interactions, impressions, reach, followers} per post, any of them None or absent."""
    posts = 0
    inter = imp = reach = None
    imp_pair = reach_pair = None
    rates = []
    for row in rows:
        posts += 1
        i, m, r = row.get("interactions"), row.get("impressions"), row.get("reach")
        if _usable(i):
            inter = _add(inter, i)
        if _usable(m):
            imp = _add(imp, m)
            if _usable(i):
                imp_pair = (i, m) if imp_pair is None else (imp_pair[0] + i, imp_pair[1] + m)
        if _usable(r):
            reach = _add(reach, r)
            if _usable(i):
                reach_pair = (i, r) if reach_pair is None else (reach_pair[0] + i, reach_pair[1] + r)
        rate = engagement_per_follower(i, row.get("followers"))
        if rate is not None:
            rates.append(rate)
    return Totals(posts, inter, imp, reach, imp_pair, reach_pair, sum(rates), len(rates))
