"""KPI formulas, table-driven: missing inputs and zero denominators give None (not shown), never 0."""

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parvis.domain import kpi

NAN = float("nan")


@pytest.mark.parametrize("fn, num, den, expected", [
    (kpi.engagement_per_impression, 50, 1000, 0.05),
    (kpi.engagement_per_impression, 0, 1000, 0.0),  # a real zero: measured, nobody reacted
    (kpi.engagement_per_impression, 50, 0, None),  # zero denominator
    (kpi.engagement_per_impression, 50, None, None),  # the network gives no impressions (Mastodon)
    (kpi.engagement_per_impression, None, 1000, None),
    (kpi.engagement_per_reach, 30, 600, 0.05),
    (kpi.engagement_per_reach, 30, 0, None),
    (kpi.engagement_per_reach, None, None, None),
    (kpi.engagement_per_reach, 30, -5, None),  # a negative count is a bug upstream, not a rate
    (kpi.engagement_per_follower, 120, 2400, 0.05),
    (kpi.engagement_per_follower, 120, 0, None),
    (kpi.engagement_per_follower, NAN, 100, None),
    (kpi.engagement_per_follower, 1, math.inf, None),
    (kpi.engagement_per_follower, True, 10, None),  # a boolean is not a count
    (kpi.follower_ratio, 5000, 250, 20.0),
    (kpi.follower_ratio, 5000, 0, None),  # follows nobody: the ratio is undefined, not infinite
])
def test_rates(fn, num, den, expected):
    got = fn(num, den)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("followers, population, expected", [
    (4_000, 40_000, 100.0),
    (150, 300, 500.0),  # a village: more followers than half its inhabitants
    (4_000, 0, None),
    (4_000, None, None),  # an EPCI whose population is not known
    (None, 40_000, None),
])
def test_followers_per_thousand(followers, population, expected):
    assert kpi.followers_per_thousand(followers, population) == expected


NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("offsets_days, expected", [
    ([], 0.0),
    ([0], 1 / 30),  # now itself counts
    ([30], 0.0),  # exactly 30 days ago is outside (now − 30 d excluded)
    ([29.99, 1, 2], 3 / 30),
    ([-1], 0.0),  # a future post is not a post yet
    ([i * 0.5 for i in range(60)], 2.0),
])
def test_posts_per_day(offsets_days, expected):
    times = [NOW - timedelta(days=d) for d in offsets_days]
    assert kpi.posts_per_day(times, NOW) == pytest.approx(expected)


def test_posts_per_day_needs_a_positive_window():
    with pytest.raises(ValueError):
        kpi.posts_per_day([], NOW, days=0)


@pytest.mark.parametrize("current, reference, delta, relative", [
    (110, 100, 10, 0.10),
    (90, 100, -10, -0.10),
    (5, 0, 5, None),  # from zero: a real difference, no "+∞ %"
    (0, 0, 0, None),
    (None, 100, None, None),  # no figure this period: no fake change
    (100, None, None, None),  # no figure last year (history started later)
    (-5, -10, 5, 0.5),  # net follows can be negative: relative to the magnitude
])
def test_changes_are_real_differences(current, reference, delta, relative):
    change = kpi.compare(current, reference)
    assert change.delta == delta
    assert change.relative == (pytest.approx(relative) if relative is not None else None)


def test_growth_is_end_against_start():
    g = kpi.growth(1000, 1100)
    assert (g.delta, g.relative) == (100, pytest.approx(0.1))


@pytest.mark.parametrize("start, end, prev, last_year", [
    (date(2026, 3, 1), date(2026, 3, 31), (date(2026, 1, 29), date(2026, 2, 28)), (date(2025, 3, 1), date(2025, 3, 31))),
    (date(2024, 2, 29), date(2024, 2, 29), (date(2024, 2, 28), date(2024, 2, 28)), (date(2023, 2, 28), date(2023, 2, 28))),
    (date(2026, 1, 1), date(2026, 1, 7), (date(2025, 12, 25), date(2025, 12, 31)), (date(2025, 1, 1), date(2025, 1, 7))),
])
def test_periods(start, end, prev, last_year):
    p = kpi.Period(start, end)
    assert kpi.previous_period(p) == kpi.Period(*prev)
    assert kpi.previous_period(p).days == p.days
    assert kpi.same_period_last_year(p) == kpi.Period(*last_year)


@pytest.mark.parametrize("year, month, first, last, prev_first, prev_last", [
    (2026, 3, date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
    (2026, 1, date(2026, 1, 1), date(2026, 1, 31), date(2025, 12, 1), date(2025, 12, 31)),
    (2024, 3, date(2024, 3, 1), date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),
    (2026, 12, date(2026, 12, 1), date(2026, 12, 31), date(2026, 11, 1), date(2026, 11, 30)),
])
def test_months(year, month, first, last, prev_first, prev_last):
    p = kpi.month_period(year, month)
    assert (p.start, p.end) == (first, last)
    assert kpi.previous_month(p) == kpi.Period(prev_first, prev_last)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        kpi.Period(date(2026, 3, 2), date(2026, 3, 1))


# --- score ----------------------------------------------------------------------------------------------

FULL = {"engagement_per_follower": 0.05, "followers_per_1000": 300, "posts_per_day": 1.0,
        "followers": 100_000, "follower_ratio": 10}


@pytest.mark.parametrize("inputs, total, used", [
    (FULL, 100.0, 15),
    ({**FULL, "engagement_per_follower": 0.10}, 100.0, 15),  # capped: more than "very good" is full marks
    ({**FULL, "engagement_per_follower": 0.025}, 100 * (15 - 2.5) / 15, 15),  # half of the weight-5 part
    ({**FULL, "follower_ratio": None}, 100.0, 14),  # Mastodon without followings: left out, not zero
    ({k: 0 for k in FULL}, 0.0, 15),
    ({}, None, 0),
    ({"posts_per_day": 0.5}, 50.0, 3),
])
def test_score(inputs, total, used):
    score = kpi.observatoire_score(inputs)
    assert score.weight_used == used and score.weight_possible == 15
    assert score.total == (pytest.approx(total) if total is not None else None)
    assert [p.weight for p in score.parts] == [5, 4, 3, 2, 1]


def test_score_parts_are_shown_with_their_points():
    score = kpi.observatoire_score({**FULL, "followers": 1000, "follower_ratio": None})
    parts = {p.key: p for p in score.parts}
    assert parts["engagement_per_follower"].points == pytest.approx(5)
    assert 0.55 < parts["followers"].normalised < 0.65  # log scale: 1,000 is ≈ 0.6 of 100,000
    assert parts["follower_ratio"].value is None and parts["follower_ratio"].points is None
    assert not score.complete


# --- best times -----------------------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
MONDAY = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # a Monday, 12:00 in Paris (summer time)


def _sample(moment, interactions=10, followers=1000):
    return kpi.PostSample(moment, interactions, followers)


@pytest.mark.parametrize("moment, tz, cell", [
    (datetime(2026, 3, 30, 10, 0, tzinfo=UTC), PARIS, (0, 24)),  # 12:00 Paris, summer time
    (datetime(2026, 3, 27, 10, 0, tzinfo=UTC), PARIS, (4, 22)),  # 11:00 Paris, winter time, a Friday
    (datetime(2026, 3, 30, 10, 29, tzinfo=UTC), PARIS, (0, 24)),
    (datetime(2026, 3, 30, 10, 30, tzinfo=UTC), PARIS, (0, 25)),
    (datetime(2026, 3, 29, 21, 0, tzinfo=UTC), REUNION, (0, 2)),  # Sunday in UTC, Monday 01:00 in Réunion
])
def test_slot_in_the_authority_time_zone(moment, tz, cell):
    assert kpi.slot_of(moment, tz) == cell


def test_slot_needs_an_aware_instant():
    with pytest.raises(ValueError):
        kpi.slot_of(datetime(2026, 3, 30, 10, 0), PARIS)


def test_best_times_averages_engagement_per_follower_per_slot():
    now = MONDAY + timedelta(days=2)
    samples = []
    for week in range(8):  # the weeks straddle the change to summer time (29 March 2026)
        monday = (MONDAY - timedelta(weeks=week)).date()
        noon = datetime.combine(monday, datetime.min.time().replace(hour=12), PARIS)
        samples.append(_sample(noon, 50, 1000))  # Monday 12:00 local: 5 %
        samples.append(_sample(noon + timedelta(days=1, hours=6), 10, 1000))  # Tuesday 18:00 local: 1 %
    samples.append(_sample(MONDAY - timedelta(weeks=20), 999, 1000))  # older than 16 weeks: ignored
    samples.append(_sample(MONDAY - timedelta(days=2), None, 1000))  # interactions unknown: ignored
    samples.append(_sample(MONDAY - timedelta(days=3), 5, 0))  # no followers: no rate
    samples.append(_sample(now + timedelta(hours=1), 999, 1000))  # not published yet
    hm = kpi.best_times(samples, PARIS, now, min_posts=12, min_slots=2)
    assert not hm.too_thin and hm.posts == 16 and set(hm.cells) == {(0, 24), (1, 36)}
    best = hm.best(1)[0]
    assert (best.weekday, best.label, best.posts) == (0, "12:00", 8)
    assert best.mean == pytest.approx(0.05)
    assert hm.cells[(1, 36)].mean == pytest.approx(0.01)
    assert len(hm.grid()) == 7 and all(len(row) == 48 for row in hm.grid())


@pytest.mark.parametrize("count, spread, reason", [
    (0, 1, "0 publication(s)"),
    (11, 11, "11 publication(s)"),
    (20, 2, "2 créneau(x)"),
])
def test_best_times_says_when_history_is_too_thin(count, spread, reason):
    samples = [_sample(MONDAY - timedelta(days=1 + i % spread, minutes=30 * (i % spread))) for i in range(count)]
    hm = kpi.best_times(samples, PARIS, MONDAY, min_posts=12, min_slots=5)
    assert hm.too_thin and reason in hm.reason_fr


# --- sums over posts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("values, parts, expected", [
    ({"likes": 3, "comments": 2, "shares": 1}, ("likes", "comments", "shares"), 6),
    ({"likes": 3}, ("likes", "comments", "shares"), 3),  # absent parts are absent, not an error
    ({"interactions": 40, "likes": 3}, ("likes",), 40),  # the network's own total wins
    ({}, ("likes",), None),
    ({"views": 100}, ("likes",), None),  # views are not interactions
])
def test_interactions_of(values, parts, expected):
    assert kpi.interactions_of(values, parts) == expected


def test_post_totals_pair_each_rate_with_its_own_posts():
    totals = kpi.post_totals([
        {"interactions": 10, "impressions": 200, "reach": None, "followers": 100},
        {"interactions": 30, "impressions": None, "reach": 300, "followers": 100},  # Mastodon-like: no impressions
        {"interactions": None, "impressions": 1000, "reach": None, "followers": 100},
        {"interactions": 0, "impressions": 0, "reach": 0, "followers": 0},
    ])
    assert totals.posts == 4 and totals.interactions == 40 and totals.impressions == 1200
    assert totals.per_impression == pytest.approx(10 / 200)  # not 40 / 1200
    assert totals.per_reach == pytest.approx(30 / 300)
    assert totals.per_follower == pytest.approx((0.1 + 0.3) / 2)


def test_post_totals_of_nothing_has_no_rates():
    totals = kpi.post_totals([])
    assert (totals.per_impression, totals.per_reach, totals.per_follower, totals.interactions) == (None,) * 4


def test_peers_are_placed_by_their_own_wall_clock():
    # 12:00 in Réunion and 12:00 in Paris are the same slot of the peers' pattern.
    samples = [kpi.PostSample(datetime(2026, 3, 30, 8, 0, tzinfo=UTC), 10, 100, REUNION),
               kpi.PostSample(datetime(2026, 3, 30, 10, 0, tzinfo=UTC), 30, 100)]
    hm = kpi.best_times(samples, PARIS, MONDAY + timedelta(hours=1), min_posts=1, min_slots=1)
    assert set(hm.cells) == {(0, 24)} and hm.cells[(0, 24)].mean == pytest.approx(0.2)
