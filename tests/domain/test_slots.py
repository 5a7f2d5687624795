from datetime import UTC, datetime, time, timedelta

import pytest

from parvis.domain.slots import Slot, SlotError, next_free_slot, occurrences, parse_slots


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def S(weekday: int, hhmm: str) -> Slot:
    hours, minutes = hhmm.split(":")
    return Slot(weekday, time(int(hours), int(minutes)))


# --- parse_slots ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], []),
        (None, []),
        ("[]", []),
        ([{"weekday": 0, "time": "09:30"}], [S(MON, "09:30")]),
        (
            '[{"weekday": 6, "time": "23:59"}, {"weekday": 0, "time": "00:00"}]',
            [S(MON, "00:00"), S(SUN, "23:59")],
        ),
        ([{"weekday": 2, "time": "9:05"}], [S(WED, "09:05")]),  # one-digit hour accepted
        # Sorted by weekday then time; an exact duplicate is kept once.
        (
            [
                {"weekday": 3, "time": "18:00"},
                {"weekday": 3, "time": "08:00"},
                {"weekday": 3, "time": "18:00"},
            ],
            [S(THU, "08:00"), S(THU, "18:00")],
        ),
    ],
)
def test_parse_slots_valid(raw, expected):
    assert parse_slots(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"weekday": 0, "time": "09:30"}, "une liste est attendue"),
        ("not json", "JSON illisible"),
        ('{"weekday": 0}', "une liste est attendue"),
        ([{"weekday": 7, "time": "09:30"}], "Créneau n° 1 : jour de la semaine hors limites : 7"),
        ([{"weekday": 0, "time": "09:30"}, {"weekday": -1, "time": "09:30"}], "Créneau n° 2 : jour"),
        ([{"weekday": "0", "time": "09:30"}], "Créneau n° 1 : jour de la semaine hors limites : '0'"),
        ([{"weekday": True, "time": "09:30"}], "hors limites : True"),
        ([{"weekday": 1.0, "time": "09:30"}], "hors limites"),
        ([{"weekday": 0, "time": "24:00"}], "Créneau n° 1 : heure invalide : '24:00'"),
        ([{"weekday": 0, "time": "09:60"}], "heure invalide : '09:60'"),
        ([{"weekday": 0, "time": "9h30"}], "heure invalide : '9h30'"),
        ([{"weekday": 0, "time": "09:30:00"}], "heure invalide"),
        ([{"weekday": 0, "time": 930}], "heure invalide : 930"),
        ([{"weekday": 0, "time": ""}], "heure invalide"),
        ([{"weekday": 0}], "l'heure (time, au format HH:MM) manque"),
        ([{"time": "09:30"}], "le jour (weekday"),
        ([{"weekday": 0, "time": "09:30", "day": 1}], "champ inconnu « day »"),
        (["lundi 09:30"], "Créneau n° 1 : un objet"),
        ([[0, "09:30"]], "Créneau n° 1 : un objet"),
    ],
)
def test_parse_slots_invalid(raw, fragment):
    with pytest.raises(SlotError) as excinfo:
        parse_slots(raw)
    assert fragment in str(excinfo.value)


def test_slot_rejects_bad_values_when_built_directly():
    with pytest.raises(SlotError):
        Slot(7, time(9))
    with pytest.raises(SlotError):
        Slot(0, time(9, tzinfo=UTC))


def test_slot_round_trips_to_json():
    slots = [S(MON, "09:30"), S(SUN, "18:05")]
    assert parse_slots([s.to_json() for s in slots]) == slots
    assert S(TUE, "07:05").label_fr == "mardi 07:05"


# --- occurrences: daylight saving ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz_name", "slots", "start", "end", "expected"),
    [
        # Europe/Paris, spring forward on Sunday 29 March 2026: 02:00 CET jumps to 03:00 CEST.
        # 02:30 does not exist: it happens at 03:00 local (01:00 UTC), and does not vanish.
        ("Europe/Paris", [S(SUN, "02:30")], utc(2026, 3, 28), utc(2026, 3, 30), [utc(2026, 3, 29, 1, 0)]),
        # 02:00 itself is inside the gap too: also 03:00 local.
        ("Europe/Paris", [S(SUN, "02:00")], utc(2026, 3, 28), utc(2026, 3, 30), [utc(2026, 3, 29, 1, 0)]),
        # Slots on both sides of the gap keep their normal offsets.
        (
            "Europe/Paris",
            [S(SUN, "01:59"), S(SUN, "03:00"), S(SUN, "09:30")],
            utc(2026, 3, 28),
            utc(2026, 3, 30),
            [utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 7, 30)],
        ),
        # A gap slot and a 03:00 slot land on the same instant: it is listed once.
        (
            "Europe/Paris",
            [S(SUN, "02:30"), S(SUN, "03:00")],
            utc(2026, 3, 28),
            utc(2026, 3, 30),
            [utc(2026, 3, 29, 1, 0)],
        ),
        # Europe/Paris, fall back on Sunday 25 October 2026: 03:00 CEST goes back to 02:00 CET.
        # 02:30 happens twice on the wall clock; the slot happens once, at the first (CEST, 00:30 UTC).
        ("Europe/Paris", [S(SUN, "02:30")], utc(2026, 10, 24), utc(2026, 10, 26), [utc(2026, 10, 25, 0, 30)]),
        # Around the repeated hour the offsets are the summer one before, the winter one after.
        (
            "Europe/Paris",
            [S(SUN, "01:30"), S(SUN, "03:00"), S(SUN, "09:30")],
            utc(2026, 10, 24),
            utc(2026, 10, 26),
            [utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 8, 30)],
        ),
        # A weekly slot across the spring change keeps its local hour: UTC moves by one hour.
        (
            "Europe/Paris",
            [S(TUE, "09:30")],
            utc(2026, 3, 23),
            utc(2026, 4, 6),
            [utc(2026, 3, 24, 8, 30), utc(2026, 3, 31, 7, 30)],
        ),
        # Saint-Pierre-et-Miquelon: its own DST (North American dates, UTC−3 / UTC−2).
        # Spring: Sunday 8 March 2026 02:00 −03 jumps to 03:00 −02; 02:30 happens at 03:00 local.
        (
            "America/Miquelon",
            [S(SUN, "02:30"), S(SUN, "10:00")],
            utc(2026, 3, 7),
            utc(2026, 3, 9),
            [utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 12, 0)],
        ),
        # Autumn: Sunday 1 November 2026 02:00 −02 goes back to 01:00 −03; 01:30 happens once, at −02.
        (
            "America/Miquelon",
            [S(SUN, "01:30"), S(SUN, "10:00")],
            utc(2026, 10, 31),
            utc(2026, 11, 2),
            [utc(2026, 11, 1, 3, 30), utc(2026, 11, 1, 13, 0)],
        ),
        # Saint-Pierre changes on a different weekend than Paris: on 29 March it is already on −02.
        (
            "America/Miquelon",
            [S(SUN, "02:30")],
            utc(2026, 3, 28),
            utc(2026, 3, 30),
            [utc(2026, 3, 29, 4, 30)],
        ),
        # Overseas without DST: the same UTC hour all year round.
        (
            "Indian/Reunion",  # UTC+4
            [S(SUN, "02:30")],
            utc(2026, 3, 28),
            utc(2026, 3, 30),
            [utc(2026, 3, 28, 22, 30)],  # Sunday 02:30 local is still Saturday in UTC
        ),
        (
            "Indian/Reunion",
            [S(SUN, "02:30")],
            utc(2026, 10, 24),
            utc(2026, 10, 26),
            [utc(2026, 10, 24, 22, 30)],
        ),
        (
            "America/Martinique",
            [S(MON, "09:00")],
            utc(2026, 3, 30),
            utc(2026, 3, 31),
            [utc(2026, 3, 30, 13, 0)],
        ),
        (
            "America/Martinique",
            [S(MON, "09:00")],
            utc(2026, 10, 26),
            utc(2026, 10, 27),
            [utc(2026, 10, 26, 13, 0)],
        ),
        ("America/Cayenne", [S(MON, "09:00")], utc(2026, 3, 30), utc(2026, 3, 31), [utc(2026, 3, 30, 12, 0)]),
        ("Indian/Mayotte", [S(MON, "09:00")], utc(2026, 3, 30), utc(2026, 3, 31), [utc(2026, 3, 30, 6, 0)]),
        ("Pacific/Noumea", [S(MON, "09:00")], utc(2026, 3, 29), utc(2026, 3, 30), [utc(2026, 3, 29, 22, 0)]),
        ("Pacific/Tahiti", [S(MON, "09:00")], utc(2026, 3, 30), utc(2026, 3, 31), [utc(2026, 3, 30, 19, 0)]),
        # A time zone that skipped a whole day (Samoa, 30 December 2011): the Friday slot is not lost,
        # it happens at the first instant that exists (Saturday 00:00 local).
        ("Pacific/Apia", [S(FRI, "10:00")], utc(2011, 12, 28), utc(2012, 1, 1), [utc(2011, 12, 30, 10, 0)]),
    ],
)
def test_occurrences_follow_local_time(tz_name, slots, start, end, expected):
    assert occurrences(slots, tz_name, start, end) == expected


def test_occurrences_over_a_year_in_paris_one_per_week_none_lost_none_doubled():
    slots = [S(SUN, "02:30")]
    found = occurrences(slots, "Europe/Paris", utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(found) == 52  # 2026 has 52 Sundays
    assert found == sorted(set(found))
    assert all(
        b - a >= timedelta(days=7) - timedelta(hours=1) for a, b in zip(found, found[1:], strict=False)
    )


# --- occurrences: week boundaries and the window -------------------------------------------------


@pytest.mark.parametrize(
    ("tz_name", "slots", "start", "end", "expected"),
    [
        # Tahiti (UTC−10): Sunday 20:00 local is Monday 06:00 UTC; the window is in UTC.
        ("Pacific/Tahiti", [S(SUN, "20:00")], utc(2026, 3, 30), utc(2026, 3, 31), [utc(2026, 3, 30, 6, 0)]),
        # Nouméa (UTC+11): Monday 08:00 local is Sunday 21:00 UTC.
        ("Pacific/Noumea", [S(MON, "08:00")], utc(2026, 3, 29), utc(2026, 3, 30), [utc(2026, 3, 29, 21, 0)]),
        # Sunday 23:59 and Monday 00:00 local are one minute apart across the local week boundary.
        (
            "Europe/Paris",
            [S(MON, "00:00"), S(SUN, "23:59")],
            utc(2026, 5, 3, 21, 0),
            utc(2026, 5, 3, 23, 0),
            [utc(2026, 5, 3, 21, 59), utc(2026, 5, 3, 22, 0)],
        ),
        # The window is [start, end): start included, end excluded.
        (
            "Europe/Paris",
            [S(MON, "09:30")],
            utc(2026, 5, 4, 7, 30),
            utc(2026, 5, 11, 7, 30),
            [utc(2026, 5, 4, 7, 30)],
        ),
        # Several slots a week, several weeks, sorted.
        (
            "Europe/Paris",
            [S(FRI, "12:00"), S(MON, "09:30")],
            utc(2026, 5, 4),
            utc(2026, 5, 16),
            [
                utc(2026, 5, 4, 7, 30),
                utc(2026, 5, 8, 10, 0),
                utc(2026, 5, 11, 7, 30),
                utc(2026, 5, 15, 10, 0),
            ],
        ),
        # Empty slot list, empty or reversed window.
        ("Europe/Paris", [], utc(2026, 5, 4), utc(2026, 6, 4), []),
        ("Europe/Paris", [S(MON, "09:30")], utc(2026, 5, 4), utc(2026, 5, 4), []),
        ("Europe/Paris", [S(MON, "09:30")], utc(2026, 5, 11), utc(2026, 5, 4), []),
    ],
)
def test_occurrences_window_and_week_boundaries(tz_name, slots, start, end, expected):
    assert occurrences(slots, tz_name, start, end) == expected


def test_occurrences_accept_any_aware_datetime_and_return_utc():
    paris_start = datetime.fromisoformat("2026-05-04T00:00:00+02:00")
    found = occurrences([S(MON, "09:30")], "Europe/Paris", paris_start, paris_start + timedelta(days=1))
    assert found == [utc(2026, 5, 4, 7, 30)]
    assert found[0].tzinfo is UTC


def test_occurrences_refuse_naive_datetimes():
    with pytest.raises(ValueError):
        occurrences([S(MON, "09:30")], "Europe/Paris", datetime(2026, 5, 4), utc(2026, 5, 5))


@pytest.mark.parametrize("tz_name", ["Europe/Pariss", "Mars/Olympus", "", "../../etc/passwd", "Europe"])
def test_unknown_time_zone_is_named(tz_name):
    with pytest.raises(SlotError) as excinfo:
        occurrences([S(MON, "09:30")], tz_name, utc(2026, 5, 4), utc(2026, 5, 5))
    assert f"« {tz_name} »" in str(excinfo.value)
    with pytest.raises(SlotError):
        next_free_slot([S(MON, "09:30")], tz_name, utc(2026, 5, 4), [])


# --- next_free_slot ------------------------------------------------------------------------------

WEEKLY = [S(MON, "09:30"), S(WED, "12:00"), S(FRI, "17:00")]  # Paris, summer: UTC+2
MON_0930 = utc(2026, 5, 4, 7, 30)
WED_1200 = utc(2026, 5, 6, 10, 0)
FRI_1700 = utc(2026, 5, 8, 15, 0)
NEXT_MON_0930 = utc(2026, 5, 11, 7, 30)


@pytest.mark.parametrize(
    ("now", "taken", "kwargs", "expected"),
    [
        # Sunday evening: the next slot is Monday morning.
        (utc(2026, 5, 3, 18, 0), [], {}, MON_0930),
        # Strictly after now: exactly at a slot, the next one is chosen.
        (MON_0930, [], {}, WED_1200),
        (MON_0930 - timedelta(seconds=1), [], {}, MON_0930),
        # Taken slots are skipped, in order.
        (utc(2026, 5, 3), [MON_0930], {}, WED_1200),
        (utc(2026, 5, 3), [MON_0930, WED_1200], {}, FRI_1700),
        (utc(2026, 5, 3), [MON_0930, WED_1200, FRI_1700], {}, NEXT_MON_0930),
        # A taken instant given in another offset is the same instant.
        (utc(2026, 5, 3), [datetime.fromisoformat("2026-05-04T09:30:00+02:00")], {}, WED_1200),
        # A taken instant near a slot does not take it without min_gap…
        (utc(2026, 5, 3), [MON_0930 + timedelta(minutes=20)], {}, MON_0930),
        # …and does with it, before or after the slot.
        (utc(2026, 5, 3), [MON_0930 + timedelta(minutes=20)], {"min_gap": timedelta(hours=1)}, WED_1200),
        (utc(2026, 5, 3), [MON_0930 - timedelta(minutes=59)], {"min_gap": timedelta(hours=1)}, WED_1200),
        # Exactly min_gap apart is far enough.
        (utc(2026, 5, 3), [MON_0930 - timedelta(hours=1)], {"min_gap": timedelta(hours=1)}, MON_0930),
        # Horizon: only 1 day ahead from Sunday, Monday is inside; from Tuesday nothing before Thursday.
        (utc(2026, 5, 3, 18, 0), [], {"horizon_days": 1}, MON_0930),
        (utc(2026, 5, 5), [], {"horizon_days": 1}, None),
        # Horizon exhausted because every slot in it is taken.
        (utc(2026, 5, 3), [MON_0930, WED_1200, FRI_1700], {"horizon_days": 7}, None),
    ],
)
def test_next_free_slot(now, taken, kwargs, expected):
    assert next_free_slot(WEEKLY, "Europe/Paris", now, taken, **kwargs) == expected


def test_next_free_slot_without_slots_is_none():
    assert next_free_slot([], "Europe/Paris", utc(2026, 5, 3), []) is None
    assert next_free_slot([], "Europe/Paris", utc(2026, 5, 3), [], prefer=[S(MON, "09:30")]) is None


def test_next_free_slot_skips_a_gap_slot_already_taken_at_its_moved_instant():
    # The Sunday 02:30 slot of the spring-forward night is at 03:00 local; a post already there takes it.
    slots = [S(SUN, "02:30")]
    now = utc(2026, 3, 28)
    assert next_free_slot(slots, "Europe/Paris", now, []) == utc(2026, 3, 29, 1, 0)
    assert next_free_slot(slots, "Europe/Paris", now, [utc(2026, 3, 29, 1, 0)]) == utc(2026, 4, 5, 0, 30)


def test_next_free_slot_in_the_repeated_hour_offers_the_slot_once():
    # After the first 02:30 of the fall-back night, the second 02:30 is not another free slot.
    slots = [S(SUN, "02:30")]
    first = utc(2026, 10, 25, 0, 30)
    assert next_free_slot(slots, "Europe/Paris", utc(2026, 10, 24), []) == first
    assert next_free_slot(slots, "Europe/Paris", first, []) == utc(2026, 11, 1, 1, 30)
    assert next_free_slot(slots, "Europe/Paris", utc(2026, 10, 24), [first]) == utc(2026, 11, 1, 1, 30)


@pytest.mark.parametrize(
    ("now", "taken", "prefer", "expected"),
    [
        # Best time Friday 17:00: chosen over Monday and Wednesday of the same week.
        (utc(2026, 5, 3), [], [S(FRI, "17:00")], FRI_1700),
        # Several preferred: the earliest free one of the week.
        (utc(2026, 5, 3), [], [S(FRI, "17:00"), S(WED, "12:00")], WED_1200),
        (utc(2026, 5, 3), [WED_1200], [S(FRI, "17:00"), S(WED, "12:00")], FRI_1700),
        # Preferred slot taken this week: fall back to the first free slot, not to next week's best.
        (utc(2026, 5, 3), [FRI_1700], [S(FRI, "17:00")], MON_0930),
        # Preferred slot already past this week (Thursday now): fall back, do not wait for next week.
        (utc(2026, 5, 7), [], [S(WED, "12:00")], FRI_1700),
        # The week is the week of the first free occurrence: from Friday evening it is next week.
        (utc(2026, 5, 8, 16, 0), [], [S(FRI, "17:00")], utc(2026, 5, 15, 15, 0)),
        # A preferred time that is not an editorial slot is ignored.
        (utc(2026, 5, 3), [], [S(THU, "08:00")], MON_0930),
        # Empty preference list: plain first free slot.
        (utc(2026, 5, 3), [], [], MON_0930),
    ],
)
def test_next_free_slot_prefers_best_slots_within_the_week(now, taken, prefer, expected):
    assert next_free_slot(WEEKLY, "Europe/Paris", now, taken, prefer=prefer) == expected


def test_next_free_slot_week_is_the_local_week_overseas():
    # Nouméa (UTC+11): the first free slot, Monday 08:00 local, is still Sunday 21:00 in UTC. The
    # week is the local one (Monday 4 to Sunday 10 May), so the preferred Sunday 20:00 local six days
    # later is in the same week; with a UTC week it would not be.
    slots = [S(MON, "08:00"), S(SUN, "20:00")]
    now = utc(2026, 5, 3, 12, 0)  # Sunday 23:00 in Nouméa: Sunday 20:00 local is past
    assert next_free_slot(slots, "Pacific/Noumea", now, []) == utc(2026, 5, 3, 21, 0)
    assert next_free_slot(slots, "Pacific/Noumea", now, [], prefer=[S(SUN, "20:00")]) == utc(
        2026, 5, 10, 9, 0
    )


def test_next_free_slot_refuses_negative_gap_and_naive_now():
    with pytest.raises(ValueError):
        next_free_slot(WEEKLY, "Europe/Paris", utc(2026, 5, 3), [], min_gap=timedelta(minutes=-1))
    with pytest.raises(ValueError):
        next_free_slot(WEEKLY, "Europe/Paris", datetime(2026, 5, 3), [])
