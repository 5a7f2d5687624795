"""Comments in: store a fetched page idempotently, classify, apply the authority's charter, move the cursor.

A page is stored in one transaction together with the channel's new cursor, so a fetch or a store that
fails halfway leaves the cursor where it was: the next poll reads the same comments again, and the unique
(channel, remote_id) constraint makes the second store a no-op (INSERT ... ON CONFLICT DO NOTHING).
Automatic hiding happens after the commit (a network call is never made inside a transaction); a hide
that fails is retried at the next poll.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from parvis.audit.models import AuditEvent
from parvis.channels.crypto import decrypt
from parvis.channels.models import Channel
from parvis.domain.moderation import classify
from parvis.networks import errors as net_errors
from parvis.networks.registry import connector_class, get_connector
from parvis.networks.sandbox.connector import SandboxConnector
from parvis.networks.types import CommentPage, Credentials
from parvis.publishing.models import Delivery

from .models import ChannelPoll, Comment, CommentAuthor, ModerationSettings, labels_text, normalise

log = logging.getLogger("parvis.inbox")

CHUNK = 500  # ids per IN (...) clause: well under SQLite's variable limit
MAX_PAGES_PER_POLL = 20  # a poll is bounded; the next one goes on from the stored cursor
AUTO_HIDE_BATCH = 100
DEFAULT_WAIT_S = 60  # a rate limit without a stated delay


@dataclass
class IngestResult:
    received: int = 0
    stored: int = 0  # new rows (a replayed page stores 0)
    hidden: int = 0  # hidden on the network at once
    cursor: str | None = None
    hide_errors: list[str] = field(default_factory=list)


def channel_capabilities(channel: Channel) -> frozenset[str]:
    """What the channel's network allows, without building a connector."""
    cls = SandboxConnector if channel.is_sandbox else connector_class(channel.network)
    return cls.capabilities if cls is not None else frozenset()


def connector_for(channel: Channel):
    """The connector for one channel, with its decrypted credentials (never logged)."""
    return get_connector(
        channel.network, Credentials(channel.handle, decrypt(channel.credentials)), sandbox=channel.is_sandbox,
        base_url=None if channel.is_sandbox else (channel.instance_url or None),
        timeout=settings.NETWORK_TIMEOUT_SECONDS,
    )


def moderation_settings(authority_id: int) -> ModerationSettings:
    row = ModerationSettings.objects.filter(authority_id=authority_id).first()
    return row or ModerationSettings(authority_id=authority_id)


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _author_key(c) -> str:
    # A network that gives no author id still names the account.
    return c.author_id or (f"@{c.author_handle}" if c.author_handle else "anonyme")


def classify_texts(texts: list[str], network: str, allow: tuple, deny: tuple, actions: dict | None) -> list:
    """The default classifier: in this process."""
    return [classify(t, network=network, allow=allow, deny=deny, actions=actions) for t in texts]


def _classify_chunk(args):
    return classify_texts(*args)


class PoolClassifier:
    """Classifies a page on several processes (a first poll of a busy account, a backfill, the benchmark).

    Call it like `classify_texts`; close() when done. The rules are pure: any process gives the same verdicts.
    """

    def __init__(self, processes: int | None = None):
        import multiprocessing
        import os

        self.processes = processes or os.cpu_count() or 1
        self.pool = multiprocessing.get_context("fork").Pool(self.processes)

    def __call__(self, texts, network, allow, deny, actions):
        return self.submit(texts, network, allow, deny, actions).get()

    def submit(self, texts, network, allow, deny, actions):
        """Start classifying; `.get()` on the answer gives the verdicts in order."""
        size = max(64, -(-len(texts) // (self.processes * 4)))
        parts = [(texts[i:i + size], network, allow, deny, actions) for i in range(0, len(texts), size)]
        return _Joined(self.pool.map_async(_classify_chunk, parts))

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


class _Joined:
    def __init__(self, async_result):
        self.async_result = async_result

    def get(self):
        return [v for part in self.async_result.get() for v in part]


COMMENT_COLUMNS = ("authority_id", "channel_id", "delivery_id", "publication_id", "remote_id", "post_remote_id",
                   "parent_remote_id", "author_id", "text", "url", "search", "created_at", "fetched_at", "kind",
                   "status", "hidden_on_network", "labels", "labels_text", "reasons", "action")


def _insert_ignore(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING with executemany: the same statement on SQLite and PostgreSQL, without
    the ORM's per-value compilation (the hot path of a large poll)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, 1000):
            cursor.executemany(sql, chunk)


def ingest(channel: Channel, page: CommentPage, *, connector=None, now: datetime | None = None,
           moderation: ModerationSettings | None = None, auto_hide: bool = True,
           classifier=classify_texts) -> IngestResult:
    """Store one fetched page for `channel`, classify what is new, hide at once what the charter says.

    `connector`: used for automatic hiding (built from the channel when needed and not given).
    `classifier`: `classify_texts` (this process) or a `PoolClassifier`.
    The channel's `comments_cursor` becomes `page.cursor` in the same transaction as the rows.
    """
    now = now or timezone.now()
    moderation = moderation or moderation_settings(channel.authority_id)
    new = _new_comments(channel, page)
    verdicts = classifier([c.text for c in new], *_rules(channel, moderation)) if new else []
    return _store(channel, page, new, verdicts, connector=connector, now=now, auto_hide=auto_hide)


def ingest_many(items, *, classifier: PoolClassifier, connector=None, auto_hide: bool = True) -> list[IngestResult]:
    """`ingest` over many (channel, page) pairs, classifying the next page on the pool while this one is
    stored (a backfill, the benchmark). Same guarantees as `ingest`, page by page."""
    results, pending = [], None
    settings_of: dict[int, ModerationSettings] = {}
    for channel, page in [*items, (None, None)]:
        ahead = None
        if channel is not None:
            moderation = settings_of.get(channel.authority_id) or settings_of.setdefault(
                channel.authority_id, moderation_settings(channel.authority_id))
            new = _new_comments(channel, page)
            ahead = (channel, page, new, classifier.submit([c.text for c in new], *_rules(channel, moderation)))
        if pending is not None:
            p_channel, p_page, p_new, p_async = pending
            results.append(_store(p_channel, p_page, p_new, p_async.get(), connector=connector, now=timezone.now(),
                                  auto_hide=auto_hide))
        pending = ahead
    return results


def _rules(channel: Channel, moderation: ModerationSettings) -> tuple:
    return (channel.network, tuple(moderation.allow or ()), tuple(moderation.deny or ()),
            moderation.actions or None)


def _new_comments(channel: Channel, page: CommentPage) -> list:
    """The page's comments not stored yet (first of each remote id)."""
    by_id = {}
    for c in page.comments:
        if c.remote_id:
            by_id.setdefault(c.remote_id, c)
    ids = list(by_id)
    existing: set[str] = set()
    for chunk in _chunks(ids):
        existing.update(Comment.objects.filter(channel_id=channel.pk, remote_id__in=chunk)
                        .values_list("remote_id", flat=True))
    return [by_id[i] for i in ids if i not in existing]


def _store(channel: Channel, page: CommentPage, new: list, verdicts: list, *, connector, now: datetime,
           auto_hide: bool) -> IngestResult:
    result = IngestResult(received=len(page.comments), cursor=page.cursor)
    rows: list[tuple] = []
    to_hide: list[str] = []
    if new:
        authors = _authors(channel, new)
        posts = _posts(channel, {c.post_remote_id for c in new if c.post_remote_id})
        ops, fields = connection.ops, Comment._meta
        labels_field, reasons_field = fields.get_field("labels"), fields.get_field("reasons")
        fetched = ops.adapt_datetimefield_value(now)
        kinds = set(Comment.Kind.values)
        for c, verdict in zip(new, verdicts, strict=True):
            delivery_id, publication_id = posts.get(c.post_remote_id, (None, None))
            if verdict.action == "hide" and not c.hidden:
                to_hide.append(c.remote_id)
            rows.append((
                channel.authority_id, channel.pk, delivery_id, publication_id, c.remote_id[:255],
                c.post_remote_id[:255], c.parent_remote_id[:255], authors[_author_key(c)], c.text, c.url[:2000],
                normalise(f"{c.text} {c.author_handle}"), ops.adapt_datetimefield_value(c.created_at), fetched,
                c.kind if c.kind in kinds else Comment.Kind.COMMENT,
                Comment.Status.HIDDEN if c.hidden else Comment.Status.NEW, c.hidden,
                labels_field.get_db_prep_save(list(verdict.labels), connection),
                labels_text(verdict.labels),
                reasons_field.get_db_prep_save(verdict.reasons, connection), verdict.action,
            ))
    with transaction.atomic():
        if rows:
            _insert_ignore(Comment, COMMENT_COLUMNS, rows)
            _link_parents(channel, [c for c in new if c.parent_remote_id], [c.remote_id for c in new])
        if page.cursor is not None and page.cursor != channel.comments_cursor:
            Channel.objects.filter(pk=channel.pk).update(comments_cursor=page.cursor)
            channel.comments_cursor = page.cursor
    result.stored = len(rows)
    if auto_hide and to_hide:
        hidden, errs = hide_pending(channel, connector=connector, remote_ids=to_hide, now=now)
        result.hidden, result.hide_errors = hidden, errs
    return result


def _authors(channel: Channel, comments) -> dict[str, int]:
    people = {}
    for c in comments:
        people.setdefault(_author_key(c), c)
    _insert_ignore(CommentAuthor, ("authority_id", "channel_id", "remote_id", "handle", "name"),
                   [(channel.authority_id, channel.pk, key[:200], c.author_handle[:200], c.author_name[:200])
                    for key, c in people.items()])
    out = {}
    for chunk in _chunks(list(people)):
        out.update(CommentAuthor.objects.filter(channel_id=channel.pk, remote_id__in=chunk)
                   .values_list("remote_id", "id"))
    return out


def _posts(channel: Channel, post_ids: set[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for chunk in _chunks(sorted(post_ids)):
        for remote_id, delivery_id, publication_id in Delivery.objects.filter(
            channel_id=channel.pk, remote_id__in=chunk
        ).values_list("remote_id", "id", "publication_id"):
            out[remote_id] = (delivery_id, publication_id)
    return out


def _link_parents(channel: Channel, replies, new_ids: list[str]) -> None:
    """Point replies at their parent row: the new replies, and older replies whose parent just arrived."""
    parent = Subquery(Comment.objects.filter(channel_id=OuterRef("channel_id"),
                                             remote_id=OuterRef("parent_remote_id")).values("id")[:1])
    reply_ids = [c.remote_id for c in replies]
    for chunk in _chunks(reply_ids):
        Comment.objects.filter(channel_id=channel.pk, remote_id__in=chunk, parent__isnull=True).update(parent=parent)
    for chunk in _chunks(new_ids):
        Comment.objects.filter(channel_id=channel.pk, parent_remote_id__in=chunk, parent__isnull=True).update(
            parent=parent)


def hide_pending(channel: Channel, *, connector=None, remote_ids: list[str] | None = None,
                 now: datetime | None = None) -> tuple[int, list[str]]:
    """Hide on the network the comments the charter says to hide at once and that are still visible.

    Parvis hides comments; it never blocks an account. Each hide is audited with its labels.
    Returns (hidden count, French error messages).
    """
    now = now or timezone.now()
    if "hide_comment" not in channel_capabilities(channel):
        return 0, []  # the comments stay in the queue for a person
    qs = Comment.objects.filter(channel_id=channel.pk, action="hide", hidden_on_network=False,
                                status=Comment.Status.NEW)
    if remote_ids is not None:
        qs = qs.filter(remote_id__in=remote_ids[:AUTO_HIDE_BATCH])
    todo = list(qs.order_by("created_at").values("id", "remote_id", "post_remote_id", "labels", "reasons")
                [:AUTO_HIDE_BATCH])
    if not todo:
        return 0, []
    try:
        connector = connector or connector_for(channel)
    except Exception as exc:  # noqa: BLE001 — no connector: retried at the next poll
        return 0, [f"Masquage automatique impossible : {exc}"]
    done, errs = [], []
    for row in todo:
        try:
            connector.hide_comment(row["remote_id"], hidden=True, post_remote_id=row["post_remote_id"])
        except net_errors.RateLimited:
            errs.append("Masquage automatique suspendu : le réseau limite les requêtes, reprise au prochain relevé.")
            break
        except (net_errors.NetworkError, NotImplementedError) as exc:
            errs.append(f"Masquage automatique de {row['remote_id']} impossible : {exc}")
            continue
        done.append(row)
    if done:
        with transaction.atomic():
            Comment.objects.filter(pk__in=[r["id"] for r in done]).update(
                hidden_on_network=True, status=Comment.Status.HIDDEN, handled_at=now)
            AuditEvent.objects.bulk_create([
                AuditEvent(authority_id=channel.authority_id, actor=None, actor_label="système (charte)",
                           verb="comment.auto_hidden", object_type="comment", object_id=str(r["id"]),
                           after={"labels": r["labels"],
                                  "reason": next((lb for lb in r["labels"] if lb in r["reasons"]), ""),
                                  "rules": {k: v for k, v in r["reasons"].items()}})
                for r in done
            ], batch_size=CHUNK)
    return len(done), errs


def poll_channel(channel_id: int, *, now: datetime | None = None, max_pages: int = MAX_PAGES_PER_POLL,
                 connector=None) -> dict:
    """Read the channel's new comments page by page and ingest each; respect rate limits."""
    now = now or timezone.now()
    channel = Channel.objects.filter(pk=channel_id, status=Channel.Status.ACTIVE).first()
    if channel is None or "comments" not in channel_capabilities(channel):
        return {"channel": channel_id, "skipped": "inactive"}
    poll, _ = ChannelPoll.objects.get_or_create(channel=channel)
    if poll.not_before and poll.not_before > now:
        return {"channel": channel_id, "skipped": "rate_limited"}
    moderation = moderation_settings(channel.authority_id)
    stored, pages, error = 0, 0, ""
    not_before = None
    try:
        connector = connector or connector_for(channel)
        while pages < max_pages:
            before = channel.comments_cursor
            page = connector.fetch_comments(cursor=before or None)  # connectors find our posts themselves
            pages += 1
            result = ingest(channel, page, connector=connector, now=now, moderation=moderation)
            stored += result.stored
            if not page.comments or page.cursor in (None, before):
                break
        hide_pending(channel, connector=connector, now=now)  # earlier hides that failed
    except net_errors.RateLimited as exc:
        wait = exc.retry_after_s if getattr(exc, "retry_after_s", None) is not None else DEFAULT_WAIT_S
        not_before = getattr(exc, "retry_at", None) or now + timedelta(seconds=wait)
        error = f"Le réseau limite les requêtes : nouvel essai après {not_before:%H:%M:%S} UTC."
    except net_errors.AuthExpired:
        error = "La connexion au compte a expiré : reconnectez le compte pour relever les commentaires."
        # Same path as publishing: the channel waits for a reconnection and its owners are told, once.
        if Channel.objects.filter(pk=channel.pk, status=Channel.Status.ACTIVE).update(
                status=Channel.Status.RECONNECT):
            from parvis.publishing.tasks import notify_channel_reconnect

            transaction.on_commit(lambda: notify_channel_reconnect.enqueue(channel.pk))
    except net_errors.NetworkError as exc:
        error = f"Relevé des commentaires interrompu : {exc}"
    ChannelPoll.objects.filter(pk=poll.pk).update(last_polled_at=now, last_error=error, last_count=stored,
                                                  not_before=not_before)
    return {"channel": channel_id, "pages": pages, "stored": stored, "error": error}


def channels_to_poll(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    ids = []
    waiting = set(ChannelPoll.objects.filter(not_before__gt=now).values_list("channel_id", flat=True))
    for channel in Channel.objects.filter(status=Channel.Status.ACTIVE).only("id", "network", "is_sandbox"):
        if channel.pk not in waiting and "comments" in channel_capabilities(channel):
            ids.append(channel.pk)
    return ids


__all__ = ["IngestResult", "channel_capabilities", "channels_to_poll", "connector_for", "hide_pending", "ingest",
           "poll_channel"]
