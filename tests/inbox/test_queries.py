"""The inbox list: filters, full-text search (SQLite LIKE / PostgreSQL full text), keyset pages, figures."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parvis.domain.roles import Role
from parvis.inbox import queries
from parvis.inbox.ingest import ingest
from parvis.inbox.models import Comment

from .conftest import T0, page, remote

pytestmark = pytest.mark.django_db


class Quiet:
    capabilities = frozenset({"comments", "hide_comment"})

    def hide_comment(self, *a, **k):
        pass


@pytest.fixture
def filled(channel, other):
    texts = ["Bonjour, à quelle heure ouvre la piscine municipale ?", "Merci pour l'information !",
             "Les lampadaires de la rue Pasteur sont en panne, personne ne fait rien.",
             "Appelez-moi au 06 12 34 56 78.", "Réunion à la Médiathèque Élisa-Lemonnier ce soir"]
    comments = [remote(i, texts[i % len(texts)], author=f"u{i % 3}", handle=f"h{i % 3}") for i in range(60)]
    ingest(channel, page(*comments), connector=Quiet())
    ingest(other["channel"], page(remote(1, "piscine piscine")), connector=Quiet())
    return channel


def test_newest_first_keyset_pages_cover_everything_once(filled, members):
    viewer = members[Role.VIEWER]
    seen, after = [], None
    with CaptureQueriesContext(connection) as ctx:
        first = queries.inbox_page(viewer, limit=25)
    assert len(ctx.captured_queries) == 1  # bounded: authors, channels, assignees joined
    while True:
        p = queries.inbox_page(viewer, limit=25, after=after)
        seen += p.items
        if not p.next:
            break
        after = p.next
    assert [c.pk for c in first.items] == [c.pk for c in seen[:25]]
    assert len(seen) == 60 and len({c.pk for c in seen}) == 60
    assert [c.created_at for c in seen] == sorted((c.created_at for c in seen), reverse=True)


@pytest.mark.parametrize(("filters", "expected"), [
    ({"label": "question"}, 12),
    ({"label": "personal_data"}, 12),
    ({"q": "piscine"}, 12),
    ({"q": "PISCINE municipale"}, 12),
    ({"q": "mediatheque elisa"}, 12),  # accents and case folded on both sides
    ({"q": "Médiathèque"}, 12),
    ({"q": "piscine pasteur"}, 0),
    ({"q": "h1"}, 20),  # the author's handle is searchable
    ({"status": "hidden"}, 12),
    ({"status": ["new", "hidden"]}, 60),
    ({"network": "facebook"}, 60),
    ({"network": "x"}, 0),
    ({"since": T0 + timedelta(minutes=50)}, 10),
    ({"until": T0 + timedelta(minutes=10)}, 10),
    ({"assignee": "none"}, 60),
    ({"assignee": "me"}, 0),
])
def test_filters_and_search(filled, members, filters, expected):
    p = queries.inbox_page(members[Role.VIEWER], limit=200, **filters)
    assert len(p.items) == expected
    assert all(c.authority_id == filled.authority_id for c in p.items)


def test_search_runs_on_this_database(filled, members):
    # Run this file with PARVIS_DATABASE_URL=postgres://... to exercise the full-text index.
    p = queries.inbox_page(members[Role.VIEWER], q="lampadaires panne")
    assert len(p.items) == 12 and all("lampadaires" in c.text for c in p.items)
    assert connection.vendor in ("sqlite", "postgresql")


def test_thread_context(filled, members):
    c = Comment.objects.filter(channel=filled, author__handle="h1").order_by("-created_at").first()
    ctx = queries.thread(members[Role.VIEWER], c.pk)
    assert ctx["comment"] == c
    assert len(ctx["author_history"]) == 19
    assert all(h.author.handle == "h1" and h.created_at < c.created_at for h in ctx["author_history"])


def test_figures(filled, members):
    from parvis.inbox.models import Comment

    q = Comment.objects.filter(channel=filled, labels_text__contains=" question ").order_by("created_at")
    for i, c in enumerate(q[:4]):
        Comment.objects.filter(pk=c.pk).update(answered_at=c.created_at + timedelta(minutes=10 * (i + 1)))
    f = queries.figures(members[Role.VIEWER])
    assert f["answered"] == 4 and f["answerable"] == 24
    assert f["first_answer_median_s"] == 1500 and f["first_answer_p90_s"] == pytest.approx(2220)
    assert f["hidden"] == 12 and f["hidden_share"] == pytest.approx(0.2)
    assert f["backlog"] == 48
