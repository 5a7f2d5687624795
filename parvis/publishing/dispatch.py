"""The delivery dispatcher: the ledger is the queue (docs/adr/0001-delivery-dispatcher.md).

1. `claim_due` moves due rows `scheduled → sending` with a conditional UPDATE and commits before any
   network call: two dispatchers never hold the same row.
2. `execute` calls the network outside any transaction, in a thread pool (no ORM there).
3. `record_outcomes` writes what happened, with the ledger policy of parvis.domain.ledger, in batches.
4. `sweep` turns expired leases into `unconfirmed` (a worker died mid-call) and reconciles unconfirmed
   rows by looking our marker up on the network; never a blind retry.
"""

import inspect
import logging
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from parvis.audit.models import AuditEvent
from parvis.channels.crypto import CredentialsError, decrypt, encrypt
from parvis.channels.models import Channel
from parvis.domain.ledger import MESSAGES_FR, after_error
from parvis.domain.states import DeliveryState, publication_outcome
from parvis.networks import errors as net_errors
from parvis.networks.registry import get_connector
from parvis.networks.types import Credentials, MediaFile, PostRequest, PostResult

from .models import Delivery, Publication, PublicationMedia, Variant

log = logging.getLogger("parvis.dispatch")
S = DeliveryState


def lease_duration() -> timedelta:
    # A live worker's call always ends before its lease does: a publication may take several timed calls
    # (a video upload, its processing, then the post), hence three timeouts and a margin.
    return timedelta(seconds=3 * settings.NETWORK_TIMEOUT_SECONDS + settings.DISPATCH_LEASE_SECONDS)


@dataclass(frozen=True)
class Job:
    delivery_id: int
    owner: str
    marker: str
    network: str
    sandbox: bool
    credentials: Credentials
    post: PostRequest
    attempts: int
    base_url: str = ""  # the channel's server (Mastodon instance, Bluesky PDS)


@dataclass(frozen=True)
class Result:
    job: Job
    posted: PostResult | None = None
    error: Exception | None = None
    new_credentials: dict | None = None  # a session the connector renewed by itself (Bluesky)


def claim_due(*, now: datetime, owner: str, limit: int) -> list[int]:
    """Claim up to `limit` due deliveries for `owner`; committed before returning."""
    if limit <= 0:
        return []
    due = Delivery.objects.filter(
        state=S.SCHEDULED, run_after__lte=now, channel__status=Channel.Status.ACTIVE
    ).order_by("run_after", "id")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids, state=S.SCHEDULED).update(
            state=S.SENDING,
            lease_owner=owner,
            lease_expires_at=now + lease_duration(),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(Delivery.objects.filter(lease_owner=owner, state=S.SENDING).values_list("id", flat=True))


def _media_file(asset) -> MediaFile:
    try:
        path = asset.file.path
    except NotImplementedError:  # remote storage: connectors download from the URL
        path = asset.file.url
    return MediaFile(path=path, kind=asset.kind, mime_type=asset.mime_type, alt_text=asset.alt_text)


def build_jobs(ids: list[int]) -> tuple[list[Job], list[tuple[int, str, Exception]]]:
    """Everything a thread needs, read once (plain values: this is the hot path), so that no thread
    touches the ORM."""
    deliveries = list(Delivery.objects.filter(id__in=ids).values(
        "id", "lease_owner", "marker", "attempts", "publication_id", "channel_id", "channel__handle",
        "channel__network", "channel__is_sandbox", "channel__credentials", "channel__instance_url",
        "publication__body", "publication__link",
    ))
    pub_ids = {d["publication_id"] for d in deliveries}
    texts = {
        (pub, channel): text
        for pub, channel, text in Variant.objects.filter(publication_id__in=pub_ids).values_list(
            "publication_id", "channel_id", "text")
    }
    media: dict[int, list[MediaFile]] = {}
    for pm in PublicationMedia.objects.filter(publication_id__in=pub_ids).select_related("asset"):
        media.setdefault(pm.publication_id, []).append(_media_file(pm.asset))
    jobs, broken, creds_of = [], [], {}
    for d in deliveries:
        try:
            if d["channel_id"] not in creds_of:
                creds_of[d["channel_id"]] = Credentials(d["channel__handle"], decrypt(d["channel__credentials"]))
            creds = creds_of[d["channel_id"]]
        except CredentialsError as exc:
            broken.append((d["id"], d["lease_owner"], exc))
            continue
        marker = str(d["marker"])
        post = PostRequest(
            text=texts.get((d["publication_id"], d["channel_id"]), d["publication__body"]),
            marker=marker,
            link=d["publication__link"],
            media=tuple(media.get(d["publication_id"], ())),
        )
        jobs.append(Job(d["id"], d["lease_owner"], marker, d["channel__network"], d["channel__is_sandbox"],
                        creds, post, d["attempts"], d["channel__instance_url"]))
    return jobs, broken


def execute(job: Job) -> Result:
    """The network call. Runs in a worker thread, outside any transaction."""
    try:
        connector = get_connector(
            job.network, job.credentials, sandbox=job.sandbox, timeout=settings.NETWORK_TIMEOUT_SECONDS,
            base_url=None if job.sandbox else (job.base_url or None),
        )
    except Exception as exc:  # noqa: BLE001 — no connector (unknown network, unsafe server): nothing was sent
        return Result(job, error=net_errors.Permanent(str(exc)))
    try:
        posted, error = connector.publish(job.post), None
    except NotImplementedError as exc:  # this network cannot carry this post: nothing was sent
        posted, error = None, net_errors.Permanent(str(exc))
    except Exception as exc:  # noqa: BLE001 — every outcome must reach the ledger
        posted, error = None, exc
    return Result(job, posted=posted, error=error, new_credentials=getattr(connector, "updated_credentials", None))


def _published_update(posted: PostResult, now: datetime) -> dict:
    return dict(
        state=S.PUBLISHED, remote_id=posted.remote_id, remote_url=posted.url, published_at=now,
        error_code="", error_message="", error_detail="", lease_owner="", lease_expires_at=None, updated_at=now,
    )


def _event(delivery_id: int, authority_id: int, verb: str, after: dict) -> AuditEvent:
    return AuditEvent(
        authority_id=authority_id, actor_label="système", verb=verb, object_type="delivery",
        object_id=str(delivery_id), after=after,
    )


def record_outcomes(results: list[Result], *, now: datetime | None = None) -> None:
    """Write a batch of outcomes in one transaction; each write is conditional on the row still being ours."""
    if not results:
        return
    now = now or timezone.now()
    events, reconnect_channels, published = [], set(), []
    ids = [r.job.delivery_id for r in results]
    meta = {d["id"]: d for d in Delivery.objects.filter(id__in=ids).values("id", "authority_id", "publication_id", "channel_id")}
    with transaction.atomic():
        for r in results:
            info = meta.get(r.job.delivery_id)
            if info is None:
                continue
            if r.posted is None and isinstance(r.error, net_errors.Duplicate) and getattr(r.error, "remote_id", ""):
                r = Result(r.job, posted=PostResult(r.error.remote_id, getattr(r.error, "url", "")))
            if r.posted is not None:
                published.append(r)
                continue
            err = r.error
            code = getattr(err, "code", "outcome_unknown")
            detail = (getattr(err, "detail", "") or str(err))[:2000]
            outcome = after_error(code, now=now, attempts=r.job.attempts, detail=detail,
                                  retry_after_s=getattr(err, "retry_after_s", None))
            changes = dict(state=outcome.state, error_code=code, error_message=outcome.message,
                           error_detail=detail, updated_at=now)
            if outcome.state == S.SCHEDULED:
                changes.update(run_after=outcome.run_after or now, lease_owner="", lease_expires_at=None)
            if Delivery.objects.filter(id=r.job.delivery_id, state=S.SENDING, lease_owner=r.job.owner,
                                       marker=r.job.marker).update(**changes):
                events.append(_event(r.job.delivery_id, info["authority_id"], f"delivery.{outcome.state}",
                                     {"error_code": code, "detail": detail}))
                if outcome.channel_needs_reconnect:
                    reconnect_channels.add(info["channel_id"])
        for chunk in (published[i:i + 200] for i in range(0, len(published), 200)):
            events += _record_published(chunk, meta, now)
        if reconnect_channels:
            Channel.objects.filter(id__in=reconnect_channels).update(status=Channel.Status.RECONNECT)
            from .tasks import notify_channel_reconnect

            for channel_id in reconnect_channels:
                transaction.on_commit(lambda c=channel_id: notify_channel_reconnect.enqueue(c))
        AuditEvent.objects.bulk_create(events)
        refresh_publication_status({m["publication_id"] for m in meta.values()})
        _store_renewed_credentials(results, meta)


def _store_renewed_credentials(results: list[Result], meta: dict) -> None:
    """Keep a session a connector renewed, so the next call does not log in again (login rate limits)."""
    renewed = {meta[r.job.delivery_id]["channel_id"]: r.new_credentials
               for r in results if r.new_credentials and r.job.delivery_id in meta}
    for channel_id, data in renewed.items():
        Channel.objects.filter(id=channel_id).update(credentials=encrypt(data))


def _record_published(results: list[Result], meta: dict, now: datetime) -> list[AuditEvent]:
    """Successes of a batch (the hot path): the rows still ours — a sweep may have turned one into
    `unconfirmed` meanwhile, which a success also settles — are read under lock, then updated with one
    prepared statement (the ORM's per-row expressions cost more than the network call here)."""
    candidates = Delivery.objects.filter(id__in=[r.job.delivery_id for r in results],
                                         state__in=[S.SENDING, S.UNCONFIRMED])
    if connection.features.has_select_for_update:
        candidates = candidates.select_for_update()
    markers = dict(candidates.values_list("id", "marker"))
    ours = [r for r in results if str(markers.get(r.job.delivery_id, "")) == r.job.marker]
    if not ours:
        return []
    table = Delivery._meta.db_table
    stamp = Delivery._meta.get_field("published_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET state = %s, remote_id = %s, remote_url = %s, published_at = %s, "
            "error_code = '', error_message = '', error_detail = '', lease_owner = '', "
            "lease_expires_at = NULL, updated_at = %s WHERE id = %s",
            [(S.PUBLISHED.value, r.posted.remote_id[:255], r.posted.url[:2000], stamp, stamp, r.job.delivery_id)
             for r in ours],
        )
    return [_event(r.job.delivery_id, meta[r.job.delivery_id]["authority_id"], "delivery.published",
                   {"remote_id": r.posted.remote_id, "url": r.posted.url}) for r in ours]


def refresh_publication_status(publication_ids) -> None:
    """A publication's status follows its deliveries once they are all final."""
    states: dict[int, list[str]] = {}
    for pub_id, state in Delivery.objects.filter(publication_id__in=publication_ids).values_list("publication_id", "state"):
        states.setdefault(pub_id, []).append(state)
    by_outcome: dict[str, list[int]] = {}
    for pub_id, pub_states in states.items():
        outcome = publication_outcome(pub_states)
        if outcome is not None:
            by_outcome.setdefault(outcome, []).append(pub_id)
    for outcome, pub_ids in by_outcome.items():
        Publication.objects.filter(id__in=pub_ids, status__in=["approved", "partial", "failed"]).exclude(
            status=outcome
        ).update(status=outcome)


def _lookup(d: dict):
    """Look one unconfirmed delivery up on its network; runs in a thread, no ORM."""
    try:
        connector = get_connector(
            d["channel__network"], Credentials(d["channel__handle"], decrypt(d["channel__credentials"])),
            sandbox=d["channel__is_sandbox"], timeout=settings.NETWORK_TIMEOUT_SECONDS,
            base_url=None if d["channel__is_sandbox"] else (d["channel__instance_url"] or None),
        )
        if "lookup" not in connector.capabilities:
            return d, "human", None
        hints = {}
        if {"text", "sent_at"} <= set(inspect.signature(connector.find_by_marker).parameters):
            # Networks without idempotency keys match our own recent post by its exact text and time.
            hints = {"text": d.get("text"), "sent_at": d["run_after"]}
        return d, "ok", connector.find_by_marker(str(d["marker"]), **hints)
    except NotImplementedError:
        return d, "human", None
    except Exception as exc:  # noqa: BLE001 — the network is down: try again at the next sweep
        log.warning("reconcile %s: %s", d["id"], exc)
        return d, "error", None


def sweep(*, now: datetime | None = None, reconcile_after: timedelta = timedelta(seconds=5),
          limit: int = 1000, concurrency: int = 32) -> dict:
    """Expire dead leases, then reconcile unconfirmed deliveries by marker lookup (lookups in parallel:
    a thousand timeouts after acceptance must not take a thousand round trips in a row)."""
    now = now or timezone.now()
    expired = Delivery.objects.filter(state=S.SENDING, lease_expires_at__lt=now).update(
        state=S.UNCONFIRMED, error_code="lease_expired", error_message=MESSAGES_FR["outcome_unknown"],
        lease_owner="", lease_expires_at=None, updated_at=now,
    )
    candidates = list(
        Delivery.objects.filter(state=S.UNCONFIRMED, updated_at__lte=now - reconcile_after)
        .exclude(error_code="needs_human")
        .values("id", "marker", "authority_id", "publication_id", "channel_id", "run_after", "channel__network",
                "channel__handle", "channel__is_sandbox", "channel__credentials", "channel__instance_url")[:limit]
    )
    texts = dict(
        ((pub, ch), text) for pub, ch, text in Variant.objects.filter(
            publication_id__in={d["publication_id"] for d in candidates}).values_list("publication_id", "channel_id", "text")
    )
    for d in candidates:
        d["text"] = texts.get((d["publication_id"], d["channel_id"]))
    counts = {"expired": expired, "found": 0, "absent": 0, "needs_human": 0}
    if not candidates:
        return counts
    with ThreadPoolExecutor(min(concurrency, len(candidates)), thread_name_prefix="reconcile") as pool:
        looked_up = list(pool.map(_lookup, candidates))
    events = []
    with transaction.atomic():
        for d, status, posted in looked_up:
            row = Delivery.objects.filter(id=d["id"], state=S.UNCONFIRMED)
            if status == "human":
                counts["needs_human"] += row.update(
                    error_code="needs_human", error_message=MESSAGES_FR["needs_human"], updated_at=now)
            elif status == "ok" and posted is not None:
                if row.update(**_published_update(posted, now)):
                    counts["found"] += 1
                    events.append(_event(d["id"], d["authority_id"], "delivery.reconciled",
                                         {"remote_id": posted.remote_id, "url": posted.url}))
            elif status == "ok" and row.update(state=S.SCHEDULED, run_after=now, error_code="reconcile_absent",
                                               error_message=MESSAGES_FR["reconcile_absent"], updated_at=now):
                counts["absent"] += 1
                events.append(_event(d["id"], d["authority_id"], "delivery.reconcile_absent", {}))
        AuditEvent.objects.bulk_create(events)
        refresh_publication_status({d["publication_id"] for d, _, _ in looked_up})
    return counts


class Dispatcher:
    """Claims as many due deliveries as it has free threads, so no claimed row waits in a queue."""

    def __init__(self, *, worker_id: str | None = None, concurrency: int | None = None,
                 poll_interval: float = 0.5, sweep_interval: float = 5.0):
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:10]}"
        self.concurrency = concurrency or settings.DISPATCH_CONCURRENCY
        self.poll_interval = poll_interval
        self.sweep_interval = sweep_interval
        self.stop_event = threading.Event()

    def run(self) -> None:
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="publish")
        in_flight: set[Future] = set()
        done_results: list[Result] = []
        last_flush = last_sweep = time.monotonic()
        sweeper: threading.Thread | None = None
        try:
            while not self.stop_event.is_set() or in_flight:
                claimed = []
                if not self.stop_event.is_set():
                    free = self.concurrency - len(in_flight)
                    claimed = self._claim(min(free, settings.DISPATCH_BATCH))
                    for job in claimed:
                        in_flight.add(pool.submit(execute, job))
                if in_flight:
                    done, in_flight = wait(in_flight, timeout=0.05 if claimed else self.poll_interval,
                                           return_when=FIRST_COMPLETED)
                    done_results.extend(f.result() for f in done)
                elif not claimed:
                    self.stop_event.wait(self.poll_interval)
                if done_results and (len(done_results) >= 100 or time.monotonic() - last_flush > 0.2 or not in_flight):
                    self._safely(record_outcomes, done_results)
                    done_results, last_flush = [], time.monotonic()
                if (time.monotonic() - last_sweep > self.sweep_interval and not self.stop_event.is_set()
                        and not (sweeper and sweeper.is_alive())):
                    # In its own thread: reconciliation lookups must not stall claims.
                    sweeper = threading.Thread(target=self._sweep_once, name="sweep", daemon=True)
                    sweeper.start()
                    last_sweep = time.monotonic()
            self._safely(record_outcomes, done_results)
        finally:
            pool.shutdown(wait=True)
            if sweeper is not None:
                sweeper.join(timeout=60)
            connection.close()  # this thread's own connection

    def _sweep_once(self) -> None:
        try:
            self._safely(sweep)
        finally:
            connection.close()

    def _claim(self, limit: int) -> list[Job]:
        if limit <= 0:
            return []
        owner = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"
        try:
            ids = claim_due(now=timezone.now(), owner=owner, limit=limit)
        except Exception:  # noqa: BLE001 — a locked database must not kill the loop
            log.exception("claim failed")
            return []
        if not ids:
            return []
        jobs, broken = build_jobs(ids)
        if broken:
            record_outcomes([
                Result(Job(i, o, str(Delivery.objects.get(id=i).marker), "", False, Credentials(""),
                           PostRequest("", ""), 1), error=net_errors.AuthExpired(str(e)))
                for i, o, e in broken
            ])
        return jobs

    def _safely(self, fn, *args) -> None:
        for attempt in range(5):
            try:
                fn(*args)
                return
            except Exception:  # noqa: BLE001
                log.exception("%s failed (attempt %s)", fn.__name__, attempt + 1)
                time.sleep(0.2 * (attempt + 1))

    def stop(self) -> None:
        self.stop_event.set()
