"""Parsing of what the browser sends: query strings and forms, with French messages per field.

Writers stay in the actions; these only turn strings into values (or a message naming the field).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from parvis.domain.states import PublicationStatus
from parvis.web.labels import PUBLICATION_STATUS_LABELS

MIN_YEAR, MAX_YEAR = 1900, 2200  # keeps month arithmetic away from date.min and date.max
VIEWS = {"mois": "month", "semaine": "week"}


def weekday_names() -> list[str]:
    """Monday (0) to Sunday (6) in the active language (French: "lundi")."""
    return [str(WEEKDAYS[i]) for i in range(7)]


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [French messages]}; "__all__" for messages without a field."""
    if hasattr(exc, "error_dict"):
        return {key: list(msgs) for key, msgs in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def parse_local_datetime(value: str, tz: zoneinfo.ZoneInfo, *, field_name: str = "scheduled_at") -> datetime:
    """A `datetime-local` value (YYYY-MM-DDTHH:MM) read as wall-clock time in `tz`.

    fold=0: an ambiguous time (the repeated hour in autumn) is its first occurrence; a time that does
    not exist (the skipped hour in spring) takes the offset in force before the change.
    """
    raw = (value or "").strip()
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            {field_name: _("Date et heure illisibles : « %(value)s ». Format attendu : JJ/MM/AAAA HH:MM.") % {"value": raw[:40]}}
        ) from None
    if not MIN_YEAR <= naive.year <= MAX_YEAR:
        raise ValidationError({field_name: _("Date hors des limites : l'année doit être entre %(min)s et %(max)s.")
                               % {"min": MIN_YEAR, "max": MAX_YEAR}})
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=tz, fold=0)


def to_local_input(value: datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if value else ""


@dataclass
class CalendarQuery:
    view: str = "month"  # "month" | "week"
    day: date | None = None
    channel_id: int | None = None
    status: str = ""
    errors: list[str] = field(default_factory=list)


def parse_calendar_query(params, *, today: date, channel_ids: set[int]) -> CalendarQuery:
    """`?vue=mois|semaine&date=YYYY-MM-DD&compte=<id>&statut=<status>`; a bad value falls back to the
    default and leaves a French message."""
    q = CalendarQuery(day=today)
    vue = (params.get("vue") or "mois").strip()
    if vue in VIEWS:
        q.view = VIEWS[vue]
    else:
        q.errors.append(_("Vue inconnue : « %(value)s ». Choisissez « mois » ou « semaine ».") % {"value": vue[:30]})
    raw_date = (params.get("date") or "").strip()
    if raw_date:
        try:
            parsed = date.fromisoformat(raw_date)
            if not MIN_YEAR <= parsed.year <= MAX_YEAR:
                raise ValueError
            q.day = parsed
        except ValueError:
            q.errors.append(_("Date invalide : « %(value)s ». Format attendu : AAAA-MM-JJ, par exemple 2026-03-29.")
                            % {"value": raw_date[:30]})
    raw_channel = (params.get("compte") or "").strip()
    if raw_channel:
        try:
            cid = int(raw_channel)
        except ValueError:
            cid = None
        if cid in channel_ids:
            q.channel_id = cid
        else:
            q.errors.append(_("Compte inconnu : « %(value)s ». Tous les comptes sont affichés.") % {"value": raw_channel[:30]})
    raw_status = (params.get("statut") or "").strip()
    if raw_status:
        if raw_status in PublicationStatus.__members__.values():
            q.status = raw_status
        else:
            known = ", ".join(f"{s.value} ({label})" for s, label in PUBLICATION_STATUS_LABELS.items())
            q.errors.append(_("Statut inconnu : « %(value)s ». Statuts possibles : %(known)s.")
                            % {"value": raw_status[:30], "known": known})
    return q


def parse_int_list(values, field_name: str) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise ValidationError({field_name: _("Valeur invalide : « %(value)s ».") % {"value": str(v)[:30]}}) from None
    return out


def parse_editorial_line(post) -> dict:
    """The editorial line form: audience, tone, themes (one per line or comma), slots (weekday × time
    rows), publications per week."""
    errors: dict[str, list[str]] = {}
    themes = [t.strip() for chunk in (post.get("themes") or "").splitlines() for t in chunk.split(",")]
    slots = []
    weekdays = post.getlist("slot_weekday")
    times = post.getlist("slot_time")
    for i, (wd, tm) in enumerate(zip(weekdays, times, strict=False), start=1):
        tm = (tm or "").strip()
        if not tm:
            continue  # an empty row is a removed slot
        try:
            weekday = int(wd)
            if not 0 <= weekday <= 6:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault("slots", []).append(_("Créneau %(n)s : jour inconnu.") % {"n": i})
            continue
        try:
            parsed = time.fromisoformat(tm)
        except ValueError:
            errors.setdefault("slots", []).append(
                _("Créneau %(n)s : heure illisible « %(value)s » (HH:MM attendu).") % {"n": i, "value": tm[:10]})
            continue
        slots.append({"weekday": weekday, "time": parsed.strftime("%H:%M")})
    raw_target = (post.get("target_posts_per_week") or "").strip()
    target = 0
    try:
        target = int(raw_target)
        if not 0 <= target <= 100:
            raise ValueError
    except ValueError:
        errors["target_posts_per_week"] = [
            _("Publications par semaine : indiquez un nombre entier entre 0 et 100.")
        ]
    if errors:
        raise ValidationError(errors)
    return {
        "audience": (post.get("audience") or "").strip()[:300],
        "tone": (post.get("tone") or "").strip()[:300],
        "themes": [t for t in themes if t],
        "slots": sorted(slots, key=lambda s: (s["weekday"], s["time"])),
        "target_posts_per_week": target,
    }
