"""Editorial slots: local wall-clock times per weekday, in the authority's time zone.

A slot is "Tuesday 09:30" where the authority lives, whatever the season. Turning it into instants is
where daylight saving bites, so the rules are fixed here:
- a slot that falls in the spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00)
  happens at the first valid instant after the gap (03:00 local): a post is never silently dropped;
- a slot that falls in the autumn repeated hour (02:30 happens twice) happens once, at the first
  occurrence (fold=0): a post is never doubled.

All instants in and out are aware UTC datetimes; nothing here reads the clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class SlotError(ValueError):
    """Invalid slot data or time zone; the message is French and shown to users."""


@dataclass(frozen=True, order=True)
class Slot:
    weekday: int  # 0 = Monday … 6 = Sunday, as datetime.weekday()
    time: time  # local wall-clock time, naive

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise SlotError(
                f"Jour de la semaine invalide : {self.weekday!r} (attendu : 0 = lundi … 6 = dimanche)."
            )
        if not isinstance(self.time, time) or self.time.tzinfo is not None:
            raise SlotError(f"Heure invalide : {self.time!r} (attendu : une heure locale sans fuseau).")

    def to_json(self) -> dict:
        return {"weekday": self.weekday, "time": self.time.strftime("%H:%M")}

    @property
    def label_fr(self) -> str:
        return f"{WEEKDAY_NAMES_FR[self.weekday]} {self.time.strftime('%H:%M')}"


def parse_slots(raw: object) -> list[Slot]:
    """Validate slots from JSON (a string, or the already decoded list of a JSONField).

    Returns them sorted by weekday then time; an exact duplicate is kept once (it would be the same
    instant anyway). Raises SlotError naming the faulty entry (numbered from 1 for users).
    """
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise SlotError(f"Créneaux : JSON illisible ({exc}).") from None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SlotError(
            'Créneaux : une liste est attendue, par exemple [{"weekday": 0, "time": "09:30"}], '
            f"reçu : {type(raw).__name__}."
        )
    slots: set[Slot] = set()
    for position, entry in enumerate(raw, start=1):
        where = f"Créneau n° {position}"
        if not isinstance(entry, dict):
            raise SlotError(
                f'{where} : un objet {{"weekday": …, "time": "HH:MM"}} est attendu, reçu : {entry!r}.'
            )
        unknown = sorted(set(entry) - {"weekday", "time"})
        if unknown:
            raise SlotError(f"{where} : champ inconnu « {unknown[0]} » (champs permis : weekday, time).")
        if "weekday" not in entry:
            raise SlotError(f"{where} : le jour (weekday, 0 = lundi … 6 = dimanche) manque.")
        if "time" not in entry:
            raise SlotError(f"{where} : l'heure (time, au format HH:MM) manque.")
        weekday = entry["weekday"]
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise SlotError(
                f"{where} : jour de la semaine hors limites : {weekday!r} (attendu : 0 = lundi … 6 = dimanche)."
            )
        value = entry["time"]
        match = _TIME_RE.match(value) if isinstance(value, str) else None
        if match is None:
            raise SlotError(
                f"{where} : heure invalide : {value!r} (format attendu : HH:MM, de 00:00 à 23:59)."
            )
        slots.add(Slot(weekday, time(int(match[1]), int(match[2]))))
    return sorted(slots)


def get_zone(tz_name: str) -> ZoneInfo:
    """The IANA zone, or SlotError naming it."""
    if not isinstance(tz_name, str) or not tz_name:
        raise SlotError(f"Fuseau horaire inconnu : « {tz_name} ».")
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError/OSError: malformed keys such as "../etc" or a directory name.
        raise SlotError(
            f"Fuseau horaire inconnu : « {tz_name} » (nom IANA attendu, par ex. Europe/Paris)."
        ) from None


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


def resolve_local(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time on a local date, with the DST rules of this module."""
    local = datetime.combine(day, wall).replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant  # exists; in a repeated hour fold=0 is the first occurrence
    # In a gap: fold=0 and fold=1 map to instants on either side of the transition; the transition
    # itself is the first valid instant after the gap. Search it to the second (transitions are whole
    # seconds in tzdata) so that unusual gaps (30 minutes, a whole skipped day) work as well.
    a = instant
    b = local.replace(fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)
    before = lo.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi


def _occurrences_with_slots(
    slots: Iterable[Slot], zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, Slot]]:
    by_weekday: dict[int, list[Slot]] = {}
    for slot in slots:
        by_weekday.setdefault(slot.weekday, []).append(slot)
    if not by_weekday or start >= end:
        return
    # One spare local day on each side: a gap can move an instant across midnight.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for slot in by_weekday.get(day.weekday(), ()):
            instant = resolve_local(day, slot.time, zone)
            if start <= instant < end:
                yield instant, slot
        day += timedelta(days=1)


def occurrences(
    slots: Sequence[Slot], tz_name: str, start_utc: datetime, end_utc: datetime
) -> list[datetime]:
    """Instants of the slots in [start_utc, end_utc): aware UTC, sorted, each once."""
    zone = get_zone(tz_name)
    start = _require_aware(start_utc, "start_utc")
    end = _require_aware(end_utc, "end_utc")
    return sorted({instant for instant, _ in _occurrences_with_slots(slots, zone, start, end)})


def next_free_slot(
    slots: Sequence[Slot],
    tz_name: str,
    now_utc: datetime,
    taken_utc: Iterable[datetime],
    *,
    min_gap: timedelta = timedelta(minutes=0),
    horizon_days: int = 60,
    prefer: Sequence[Slot] | None = None,
) -> datetime | None:
    """The first slot occurrence strictly after now that no other publication of the channel holds.

    An occurrence is taken when a taken instant equals it or lies strictly closer than `min_gap`
    (so two posts are at least `min_gap` apart). With `prefer` (best times), the earliest free
    occurrence of a preferred slot in the same local week (Monday to Sunday, authority's time zone) as
    the first free occurrence wins; otherwise the first free occurrence. Preferred slots that are not
    editorial slots are ignored: the editorial line is the team's decision, best times only rank it.
    None when no occurrence is free before now + horizon_days.
    """
    zone = get_zone(tz_name)
    now = _require_aware(now_utc, "now_utc")
    taken = sorted(_require_aware(t, "taken_utc") for t in taken_utc)
    if min_gap < timedelta(0):
        raise ValueError("min_gap must not be negative")
    preferred = set(prefer or ())

    def is_free(instant: datetime) -> bool:
        return not any(t == instant or abs(t - instant) < min_gap for t in taken)

    candidates: dict[datetime, bool] = {}  # instant -> comes from a preferred slot
    for instant, slot in _occurrences_with_slots(slots, zone, now, now + timedelta(days=horizon_days)):
        if instant > now:
            candidates[instant] = candidates.get(instant, False) or slot in preferred
    free = [(instant, is_pref) for instant, is_pref in sorted(candidates.items()) if is_free(instant)]
    if not free:
        return None
    first = free[0][0]
    if preferred:
        first_day = first.astimezone(zone).date()
        week_end = first_day - timedelta(days=first_day.weekday()) + timedelta(days=7)
        for instant, is_pref in free:
            if instant.astimezone(zone).date() >= week_end:
                break
            if is_pref:
                return instant
    return first
