"""Builders of publications and deliveries for the page tests (fixtures write rows directly)."""

from datetime import datetime

from parvis.publishing.models import Delivery, Publication, Variant


def publication(authority, channels, *, title="Fête de la musique", when: datetime | None = None,
                status="draft", body="Concert place des Héros", author=None, deliveries=False,
                delivery_state="scheduled") -> Publication:
    pub = Publication.objects.create(authority=authority, title=title, body=body, status=status,
                                     scheduled_at=when, created_by=author)
    for c in channels:
        Variant.objects.create(publication=pub, channel=c, text=body)
        if deliveries:
            Delivery.objects.create(publication=pub, channel=c, authority=authority, due_at=when, run_after=when,
                                    state=delivery_state)
    return pub


def page(response) -> str:
    """The response's HTML with entities decoded, to look for French sentences with apostrophes."""
    import html

    return html.unescape(response.content.decode())
