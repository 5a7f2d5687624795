"""The private iCal feed of an authority's calendar: one event per delivery, one per scheduled
publication that has no delivery yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils.translation import gettext
from icalendar import Calendar, Event

from parvis.domain.states import DeliveryState, PublicationStatus
from parvis.publishing.models import Delivery, Publication

from .labels import delivery_state_label, network_label, publication_status_label

PAST = timedelta(days=90)
FUTURE = timedelta(days=400)
EVENT_LENGTH = timedelta(minutes=15)


def _url(base_url: str, pub: Publication, slug: str) -> str:
    return base_url + reverse("publication_detail", kwargs={"slug": slug, "pk": pub.pk})


def build_feed(authority, *, base_url: str, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Parvis//Calendrier éditorial//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Parvis · {authority.name}")
    cal.add("x-wr-timezone", authority.timezone)
    start, end = now - PAST, now + FUTURE
    stamp = now.astimezone(UTC)
    deliveries = (
        Delivery.objects.filter(authority=authority, due_at__gte=start, due_at__lt=end)
        .exclude(state=DeliveryState.CANCELLED)
        .select_related("publication", "channel").order_by("due_at")
    )
    for d in deliveries:
        label = network_label(d.channel.network)
        when = (d.published_at or d.due_at).astimezone(UTC)
        ev = Event()
        ev.add("uid", f"delivery-{d.marker}@parvis")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", when)
        ev.add("dtend", when + EVENT_LENGTH)
        ev.add("summary", f"[{label}] {d.publication.title}")
        ev.add("description", f"{label} · {d.channel.handle} — {delivery_state_label(d.state)}")
        ev.add("url", _url(base_url, d.publication, authority.slug))
        cal.add_component(ev)
    drafts = (
        Publication.objects.filter(authority=authority, scheduled_at__gte=start, scheduled_at__lt=end,
                                   deliveries__isnull=True)
        .exclude(status=PublicationStatus.CANCELLED)
        .prefetch_related("variants__channel")
    )
    for pub in drafts:
        networks = sorted({network_label(v.channel.network) for v in pub.variants.all()})
        when = pub.scheduled_at.astimezone(UTC)
        ev = Event()
        ev.add("uid", f"publication-{pub.pk}@parvis")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", when)
        ev.add("dtend", when + EVENT_LENGTH)
        ev.add("summary", f"[{', '.join(networks) or gettext('Sans compte')}] {pub.title}")
        ev.add("description", publication_status_label(pub.status))
        ev.add("url", _url(base_url, pub, authority.slug))
        cal.add_component(ev)
    return cal.to_ical()
