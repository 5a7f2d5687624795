"""Permission-checked reads of the inbox, scoped to the member's authority (another authority's object: 404).

    inbox_page(membership, *, channel=None, network=None, publication=None, label=None, status=None,
               assignee=None, since=None, until=None, q="", after=None, limit=50) -> InboxPage
        Newest first, keyset pagination: give `page.next` back as `after`. One query per page (authors,
        channels and assignees are joined). `status` may be a value or a list; `assignee` a user id,
        "me" or "none"; `q` is full-text (PostgreSQL full text on the folded text, prefix match per word;
        SQLite: LIKE per word on the same folded column).
    thread(membership, comment_id) -> dict: the comment, its publication, parent, answers (children), our
        replies, and the author's earlier comments on the authority's channels.
    figures(membership, *, since=None, until=None) -> dict: first-answer time to questions and complaints
        (median, p90, in seconds), share of hidden comments, backlog.
    pending_replies(membership) -> list of replies waiting for approval.
    saved_answers(membership), settings_of(membership).
"""

from __future__ import annotations

import base64
import re
import statistics
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from parvis.domain.moderation import LABELS
from parvis.domain.roles import Permission
from parvis.organisations.queries import require

from .ingest import moderation_settings
from .models import Comment, CommentReply, SavedAnswer, normalise

MAX_LIMIT = 200
ANSWERABLE = ("question", "complaint")
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class InboxPage:
    items: list[Comment]
    next: str | None  # give it back as `after` for the next (older) page


def _encode(comment: Comment) -> str:
    raw = f"{comment.created_at.isoformat()}|{comment.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        at, pk = raw.rsplit("|", 1)
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError({"after": "Position de page invalide : repartez de la première page."}) from exc


def _words(q: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", normalise(q)) if w][:8]


def search_filter(qs, q: str):
    """Full-text search on the folded column: every word must appear."""
    words = _words(q)
    if not words:
        return qs
    if connection.vendor == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        return qs.extra(where=["to_tsvector('simple', inbox_comment.search) @@ to_tsquery('simple', %s)"],
                        params=[query])
    for w in words:
        qs = qs.filter(search__contains=w)
    return qs


def inbox_queryset(membership, *, channel=None, network=None, publication=None, label=None, status=None,
                   assignee=None, since=None, until=None, q: str = ""):
    require(membership, Permission.VIEW)
    qs = Comment.objects.filter(authority_id=membership.authority_id)
    if channel:
        qs = qs.filter(channel_id=channel)
    if network:
        qs = qs.filter(channel__network=network)
    if publication:
        qs = qs.filter(publication_id=publication)
    if label:
        if label not in LABELS:
            raise ValidationError({"label": f"Catégorie « {label} » inconnue."})
        qs = qs.filter(labels_text__contains=f" {label} ")
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        bad = set(statuses) - set(Comment.Status.values)
        if bad:
            raise ValidationError({"status": f"Statut inconnu : {', '.join(sorted(bad))}."})
        qs = qs.filter(status=statuses[0]) if len(statuses) == 1 else qs.filter(status__in=statuses)
    if assignee == "me":
        qs = qs.filter(assignee_id=membership.user_id)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=assignee)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return search_filter(qs, q)


def inbox_page(membership, *, after: str | None = None, limit: int = 50, **filters) -> InboxPage:
    limit = max(1, min(int(limit), MAX_LIMIT))
    qs = inbox_queryset(membership, **filters)
    if after:
        at, pk = _decode(after)
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    items = list(qs.select_related("channel", "author", "assignee").order_by("-created_at", "-id")[:limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return InboxPage(items=items, next=_encode(items[-1]) if more and items else None)


def get_comment(membership, comment_id: int) -> Comment:
    require(membership, Permission.VIEW)
    try:
        return Comment.objects.select_related("channel", "author", "assignee", "publication", "parent",
                                              "parent__author").get(pk=comment_id,
                                                                    authority_id=membership.authority_id)
    except (Comment.DoesNotExist, ValueError, TypeError):
        raise Http404("Commentaire introuvable") from None


def thread(membership, comment_id: int) -> dict:
    comment = get_comment(membership, comment_id)
    children = list(Comment.objects.filter(channel_id=comment.channel_id, parent_remote_id=comment.remote_id)
                    .select_related("author").order_by("created_at", "id")[:100])
    history = list(
        Comment.objects.filter(authority_id=membership.authority_id, author__handle=comment.author.handle,
                               created_at__lt=comment.created_at)
        .exclude(pk=comment.pk).select_related("channel").order_by("-created_at", "-id")[:HISTORY_LIMIT]
    ) if comment.author.handle else list(
        Comment.objects.filter(author_id=comment.author_id, created_at__lt=comment.created_at)
        .exclude(pk=comment.pk).select_related("channel").order_by("-created_at", "-id")[:HISTORY_LIMIT])
    return {
        "comment": comment,
        "publication": comment.publication,
        "parent": comment.parent,
        "children": children,
        "replies": list(comment.replies.select_related("written_by", "approved_by").order_by("created_at")),
        "author_history": history,
        "label_corrections": list(comment.label_corrections.select_related("by").order_by("created_at")),
    }


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def figures(membership, *, since: datetime | None = None, until: datetime | None = None) -> dict:
    """Response times to questions and complaints, share hidden, backlog (bounded, indexed aggregates)."""
    require(membership, Permission.VIEW)
    qs = Comment.objects.filter(authority_id=membership.authority_id)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    answerable = qs.filter(Q(labels_text__contains=" question ") | Q(labels_text__contains=" complaint "))
    delays = [
        (answered - created).total_seconds()
        for created, answered in answerable.filter(answered_at__isnull=False)
        .values_list("created_at", "answered_at")[:100_000]
    ]
    totals = qs.aggregate(total=Count("id"), hidden=Count("id", filter=Q(hidden_on_network=True)))
    backlog = qs.filter(status__in=(Comment.Status.NEW, Comment.Status.ASSIGNED))
    oldest = backlog.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "answerable": answerable.count(),
        "answered": len(delays),
        "first_answer_median_s": statistics.median(delays) if delays else None,
        "first_answer_p90_s": _percentile(delays, 0.9),
        "total": totals["total"],
        "hidden": totals["hidden"],
        "hidden_share": (totals["hidden"] / totals["total"]) if totals["total"] else 0.0,
        "backlog": backlog.count(),
        "backlog_to_answer": backlog.filter(action="answer").count(),
        "backlog_oldest_at": oldest,
        "backlog_oldest_age_s": (timezone.now() - oldest).total_seconds() if oldest else None,
    }


def pending_replies(membership) -> list[CommentReply]:
    require(membership, Permission.VIEW)
    return list(CommentReply.objects.filter(authority_id=membership.authority_id,
                                            status=CommentReply.Status.PENDING)
                .select_related("comment", "comment__author", "comment__channel", "written_by")
                .order_by("created_at")[:MAX_LIMIT])


def saved_answers(membership) -> list[SavedAnswer]:
    require(membership, Permission.VIEW)
    return list(SavedAnswer.objects.filter(authority_id=membership.authority_id))


def settings_of(membership):
    require(membership, Permission.VIEW)
    return moderation_settings(membership.authority_id)


__all__ = ["InboxPage", "figures", "get_comment", "inbox_page", "inbox_queryset", "pending_replies",
           "saved_answers", "search_filter", "settings_of", "thread"]
