"""Mastodon connector, on Mastodon.py, against the channel's own instance (`base_url`).

Publishing
    Media first (`POST /api/v2/media` with the alt text as `description`; a video answers 202 and is polled
    until its `url` is set, because Mastodon refuses to attach media still processing), then the status with
    `Idempotency-Key: <marker>`. Options from `post.options`: `visibility` (public, unlisted, private,
    direct), `spoiler_text` (content warning), `sensitive`, `language` (default "fr"). A thread posts each
    follow-up in reply to the previous status, with the key `<marker>/<n>`, so re-running a half-done
    thread within the hour completes it without doubling what was already posted.

Finding our post again (`find_by_marker`), in two steps:
    1. The idempotency key. Mastodon keeps it one hour per account (Redis, `idempotency:status:<account>:
       <key>`), and `PostStatusService#call` looks it up *before* validating anything: a second POST with
       the same key returns the status the first one created, whatever its body. So we POST an *empty*
       status with the marker as key: if the first POST went through, Mastodon answers that status (200);
       if it did not, an empty status fails validation (422 "Text can't be blank") and nothing is created.
       This is exact, costs one request, and cannot publish anything. Caveat: it is a Mastodon behaviour;
       servers that cache the whole response by key (Pleroma/Akkoma) would remember the 422. As a safety
       net, a probe answered by a status that does not carry our signature is deleted at once and ignored.
    2. After that hour, the key is forgotten: we read the account's own recent statuses (`account_statuses`
       of the verified account, at most SCAN_PAGES pages of 40) and look for our signature, an invisible
       run of zero-width (non-)joiners that every status we post ends with (see marker.py: it counts as
       0 characters and leaves links intact). A post older than those pages is reported absent.
    A status deleted since answers 404 to the probe (or is absent from the timeline): not found.

Conversation
    `fetch_comments` reads mention notifications after the cursor (a notification id, pages walked with
    `min_id`) and, for each of `post_ids`, the status context (`descendants`). Mastodon has no way to hide
    a reply or delete someone else's (block, mute and report only): `hide_comment` and `delete_comment`
    are not declared. `reply` answers with the parent's visibility (never more public than the
    conversation) and mentions its author, otherwise they would not be notified.

Figures: the counts Mastodon gives (no reach, no impressions). Tokens never expire: no refresh.
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from mastodon import Mastodon
from mastodon import errors as mastodon_errors
from requests.adapters import HTTPAdapter

from parvis.domain.adapt import derive_variant_text

from .. import errors
from ..base import Connector
from ..http import CONNECT_TIMEOUT_S, SlotTimeout, UnsafeHost, guard_public_host, make_client, network_slot
from ..types import CommentPage, Credentials, MediaFile, MetricSet, PostRequest, PostResult, RemoteComment
from .content import html_to_text
from .errors import http_status, map_error
from .marker import carries_marker, strip_markers, with_marker

log = logging.getLogger("parvis.networks.mastodon")

# Claimed to Mastodon.py so it never spends a request on GET /api/v1/instance to learn the version: every
# endpoint used here exists since 4.0 (v2 media, notification `types`, Idempotency-Key).
BASELINE_VERSION = "4.0.0"
USER_AGENT = "Parvis/0.1 (+https://parvis.fr)"
SCAN_PAGES = 5
PAGE_SIZE = 40
NOTIFICATION_PAGES = 5
VISIBILITIES = ("public", "unlisted", "private", "direct")  # most to least open
MEDIA_POLL_S = (0.5, 1.0, 2.0, 3.0, 5.0)


def allow_loopback() -> bool:
    """Tests and local peers run instances on 127.0.0.1; production refuses internal addresses."""
    try:
        from django.conf import settings

        if settings.configured and hasattr(settings, "PARVIS_ALLOW_LOOPBACK_SERVERS"):
            return bool(settings.PARVIS_ALLOW_LOOPBACK_SERVERS)
    except ImportError:  # pragma: no cover — Django is always there in Parvis
        pass
    return os.environ.get("PARVIS_ALLOW_LOOPBACK_SERVERS", "").strip().lower() in {"1", "true", "yes", "on", "oui"}


# --- pooled sessions ------------------------------------------------------------------------------------

_local = threading.local()


def shared_session() -> requests.Session:
    """The calling thread's pooled requests session (Mastodon.py speaks requests), rebuilt after a fork."""
    pid = os.getpid()
    session = getattr(_local, "session", None)
    if session is None or getattr(_local, "pid", None) != pid:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=16, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        _local.session, _local.pid = session, pid
    return session


def _sid(value: Any) -> str:
    """Mastodon.py turns numeric ids into ints; Parvis keeps them as strings."""
    return "" if value is None else str(value)


def _id_key(value: str) -> tuple[int, str]:
    """Mastodon ids are decimal snowflakes: compare by length, then text (never as floats)."""
    return (len(value), value)


def _aware(moment: Any) -> datetime:
    if isinstance(moment, str) and moment:
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime.now(UTC)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def status_result(status: Any) -> PostResult:
    return PostResult(remote_id=_sid(_get(status, "id")), url=str(_get(status, "url") or _get(status, "uri") or ""))


def status_plain_text(status: Any) -> str:
    return strip_markers(html_to_text(str(_get(status, "content") or "")))


def status_carries(status: Any, marker: str) -> bool:
    return carries_marker(html.unescape(str(_get(status, "content") or "")), marker)


class MastodonConnector(Connector):
    network = "mastodon"
    capabilities = frozenset({
        "publish", "lookup", "delete", "images", "video", "link", "thread", "reply",
        "comments", "account_metrics", "post_metrics",
    })

    def __init__(self, credentials: Credentials, *, base_url: str | None = None, timeout: float = 20.0):
        super().__init__(credentials, base_url=(base_url or "").strip().rstrip("/") or None, timeout=timeout)
        self._client: Mastodon | None = None
        self._account_id: str = _sid((credentials.data or {}).get("account_id")) or ""

    # --- plumbing -----------------------------------------------------------------------------------------

    def _token(self) -> str:
        data = self.credentials.data or {}
        token = data.get("access_token") or data.get("token") or ""
        if not token:
            raise errors.AuthExpired("Aucun jeton Mastodon enregistré pour ce compte : reconnectez-le.")
        return str(token)

    def api(self) -> Mastodon:
        if self._client is None:
            if not self.base_url:
                raise errors.Permanent("Adresse du serveur Mastodon manquante : indiquez-la sur le compte.")
            try:
                guard_public_host(self.base_url, allow_loopback=allow_loopback())
            except UnsafeHost as exc:
                raise errors.Permanent(str(exc)) from exc
            data = self.credentials.data or {}
            self._client = Mastodon(
                access_token=self._token(), api_base_url=self.base_url, ratelimit_method="throw",
                request_timeout=(CONNECT_TIMEOUT_S, self.timeout), version_check_mode="created",
                mastodon_version=str(data.get("mastodon_version") or BASELINE_VERSION),
                session=shared_session(), user_agent=USER_AGENT,
            )
        return self._client

    def _call(self, fn: Callable[[Mastodon], Any], *, may_have_published: bool = False) -> Any:
        """One API call inside the network's concurrency slot, its failure mapped to a typed error."""
        api = self.api()
        try:
            with network_slot("mastodon", timeout=self.timeout):
                return fn(api)
        except SlotTimeout as exc:
            raise errors.Transient(str(exc)) from exc
        except errors.NetworkError:
            raise
        except Exception as exc:  # noqa: BLE001 — every Mastodon.py failure becomes a typed error
            raise map_error(exc, may_have_published=may_have_published,
                            ratelimit_reset=api.ratelimit_reset) from exc

    def account_id(self) -> str:
        if not self._account_id:
            me = self._call(lambda api: api.account_verify_credentials())
            self._account_id = _sid(_get(me, "id"))
        return self._account_id

    # --- posts --------------------------------------------------------------------------------------------

    def publish(self, post: PostRequest) -> PostResult:
        options = dict(post.options or {})
        visibility = str(options.get("visibility") or "public").lower()
        if visibility not in VISIBILITIES:
            raise errors.Permanent(
                f"Visibilité Mastodon inconnue : « {visibility} » (public, unlisted, private ou direct).")
        spoiler = str(options.get("spoiler_text") or "").strip() or None
        language = str(options.get("language") or "fr")
        sensitive = bool(options.get("sensitive")) or None
        text = derive_variant_text("mastodon", post.text, post.link) if post.link else post.text
        media_ids = [self._upload(m) for m in post.media]
        common = dict(visibility=visibility, spoiler_text=spoiler, language=language)
        head = self._post_status(with_marker(text, post.marker), key=post.marker, media_ids=media_ids or None,
                                 in_reply_to_id=post.reply_to or None, sensitive=sensitive, **common)
        previous = head
        for n, follow_up in enumerate(post.thread, start=1):
            previous = self._post_status(with_marker(follow_up, f"{post.marker}/{n}"), key=f"{post.marker}/{n}",
                                         in_reply_to_id=_sid(_get(previous, "id")), **common)
        return status_result(head)

    def _post_status(self, text: str, *, key: str, **fields) -> Any:
        fields = {k: v for k, v in fields.items() if v is not None}
        return self._call(lambda api: api.status_post(text, idempotency_key=key, **fields), may_have_published=True)

    def _upload(self, media: MediaFile) -> str:
        """Upload one file, wait until Mastodon has processed it, return its id. Nothing is published here:
        a failure is never an unknown outcome (an orphan upload is cleaned up by the instance)."""
        with self._open_media(media) as handle:
            attachment = self._call(lambda api: api.media_post(
                handle, mime_type=media.mime_type, description=media.alt_text or None,
                file_name=Path(media.path.split("?", 1)[0]).name or None,
            ))
        media_id = _sid(_get(attachment, "id"))
        deadline = time.monotonic() + max(self.timeout, 5.0)
        polls = iter(MEDIA_POLL_S)
        while _get(attachment, "url") is None:  # 202: still processing (video, gifv, audio)
            if time.monotonic() >= deadline:
                raise errors.Transient(
                    "Mastodon traite encore la vidéo : nouvel essai plus tard.",
                    detail=f"mastodon media {media_id} still processing after {self.timeout:.0f} s")
            time.sleep(next(polls, MEDIA_POLL_S[-1]))
            attachment = self._call(lambda api: api.media(media_id))
        return media_id

    def _open_media(self, media: MediaFile):
        """A readable file for the upload: the local file, or the remote storage URL spooled to disk."""
        if not media.path.startswith(("http://", "https://")):
            try:
                return open(media.path, "rb")  # noqa: SIM115 — closed by the caller's `with`
            except OSError as exc:
                raise errors.Permanent(f"Fichier média introuvable : {media.path}", detail=str(exc)) from exc
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        try:
            with make_client(timeout=max(self.timeout, 30.0)) as client, client.stream("GET", media.path) as response:
                if response.status_code != 200:
                    raise errors.Transient(f"Média illisible sur le stockage (HTTP {response.status_code}).")
                for chunk in response.iter_bytes():
                    spool.write(chunk)
        except errors.NetworkError:
            spool.close()
            raise
        except Exception as exc:  # noqa: BLE001 — storage down: nothing was sent to Mastodon
            spool.close()
            raise errors.Transient("Stockage des médias injoignable.", detail=f"{type(exc).__name__}: {exc}") from exc
        spool.seek(0)
        return spool

    def find_by_marker(self, marker: str) -> PostResult | None:
        found = self._probe_idempotency_key(marker)
        if found is not None:
            return found if found.remote_id else None
        return self._scan_own_statuses(marker)

    def _probe_idempotency_key(self, marker: str) -> PostResult | None:
        """Step 1 of the lookup (see the module docstring). Returns the status, PostResult("", "") for
        "Mastodon says it is deleted", or None when the key is unknown (expired or never used)."""
        api = self.api()
        try:
            with network_slot("mastodon", timeout=self.timeout):
                status = api.status_post("", idempotency_key=marker)
        except mastodon_errors.MastodonAPIError as exc:
            code = http_status(exc)
            if code == 422:
                return None  # key unknown: the empty status was validated, and refused
            if code == 404:
                return PostResult("", "")  # key known, status deleted since
            raise map_error(exc, ratelimit_reset=api.ratelimit_reset) from exc
        except SlotTimeout as exc:
            raise errors.Transient(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001
            raise map_error(exc, ratelimit_reset=api.ratelimit_reset) from exc
        if status_carries(status, marker):
            return status_result(status)
        # Not ours: a server that ignored the key and accepted an empty status. Remove it, then scan.
        log.warning("mastodon: idempotency probe created status %s; deleting it", _sid(_get(status, "id")))
        self.delete(_sid(_get(status, "id")))
        return None

    def _scan_own_statuses(self, marker: str) -> PostResult | None:
        account = self.account_id()
        page = self._call(lambda api: api.account_statuses(account, limit=PAGE_SIZE, exclude_reblogs=True))
        for _ in range(SCAN_PAGES):
            if not page:
                return None
            for status in page:
                if status_carries(status, marker):
                    return status_result(status)
            current = page
            page = self._call(lambda api, current=current: api.fetch_next(current))
        return None

    def delete(self, remote_id: str) -> None:
        try:
            self._call(lambda api: api.status_delete(remote_id))
        except errors.Permanent as exc:
            if getattr(exc, "http_status", None) == 404:
                return  # already gone: deleting is idempotent
            raise

    # --- conversation -------------------------------------------------------------------------------------

    def fetch_comments(self, *, cursor: str | None = None, post_ids: tuple[str, ...] = ()) -> CommentPage:
        me = self.account_id()
        found: dict[str, RemoteComment] = {}
        newest = cursor
        if cursor:
            # min_id walks forward from the cursor without gaps (since_id would skip the middle).
            after = cursor
            for _ in range(NOTIFICATION_PAGES):
                page = self._call(lambda api, after=after: api.notifications(types=["mention"], min_id=after,
                                                                              limit=PAGE_SIZE))
                if not page:
                    break
                ids = [_sid(_get(n, "id")) for n in page]
                after = max(ids, key=_id_key)
                self._collect_notifications(page, me, post_ids, found)
                newest = after
                if len(page) < PAGE_SIZE:
                    break
        else:
            page = self._call(lambda api: api.notifications(types=["mention"], limit=PAGE_SIZE))
            if page:
                newest = max((_sid(_get(n, "id")) for n in page), key=_id_key)
                self._collect_notifications(page, me, post_ids, found)
        for post_id in post_ids:
            context = self._call(lambda api, post_id=post_id: api.status_context(post_id))
            for status in _get(context, "descendants", None) or ():
                comment = self._comment(status, me, root=post_id)
                if comment is not None:
                    found[comment.remote_id] = comment  # the context knows the root: it wins
        comments = sorted(found.values(), key=lambda c: (c.created_at, _id_key(c.remote_id)))
        return CommentPage(comments=tuple(comments), cursor=newest)

    def _collect_notifications(self, page, me: str, post_ids: tuple[str, ...], found: dict) -> None:
        for notification in page:
            if _get(notification, "type") != "mention":
                continue
            comment = self._comment(_get(notification, "status"), me, root="", post_ids=post_ids)
            if comment is not None:
                found.setdefault(comment.remote_id, comment)

    def _comment(self, status: Any, me: str, *, root: str, post_ids: tuple[str, ...] = ()) -> RemoteComment | None:
        if status is None:
            return None
        account = _get(status, "account") or {}
        author_id = _sid(_get(account, "id"))
        if author_id == me:
            return None  # our own replies are not comments to moderate
        parent = _sid(_get(status, "in_reply_to_id"))
        parent_account = _sid(_get(status, "in_reply_to_account_id"))
        if root:
            kind = "comment" if parent == root else "reply"
            post_id, parent_id = root, ("" if parent == root else parent)
        elif not parent:
            kind, post_id, parent_id = "mention", "", ""
        elif parent_account == me and (not post_ids or parent in post_ids):
            kind, post_id, parent_id = "comment", parent, ""
        else:
            kind, post_id, parent_id = "reply", "", parent
        return RemoteComment(
            remote_id=_sid(_get(status, "id")), post_remote_id=post_id, author_id=author_id,
            author_handle=str(_get(account, "acct") or ""), text=status_plain_text(status),
            created_at=_aware(_get(status, "created_at")), parent_remote_id=parent_id,
            author_name=str(_get(account, "display_name") or ""), url=str(_get(status, "url") or ""), kind=kind,
        )

    def reply(self, to_remote_id: str, text: str, *, marker: str) -> PostResult:
        parent = self._call(lambda api: api.status(to_remote_id))
        author = _get(parent, "account") or {}
        acct = str(_get(author, "acct") or "")
        if acct and _sid(_get(author, "id")) != self.account_id() and f"@{acct}".lower() not in text.lower():
            text = f"@{acct} {text}"  # without the mention the author is not notified
        visibility = str(_get(parent, "visibility") or "public")
        if visibility not in VISIBILITIES:
            visibility = "unlisted"
        status = self._post_status(with_marker(text, marker), key=marker, in_reply_to_id=to_remote_id,
                                   visibility=visibility, language=_get(parent, "language") or None)
        return status_result(status)

    # --- figures ------------------------------------------------------------------------------------------

    def account_metrics(self) -> MetricSet:
        me = self._call(lambda api: api.account_verify_credentials())
        self._account_id = _sid(_get(me, "id")) or self._account_id
        names = {"followers_count": "followers", "following_count": "following", "statuses_count": "posts"}
        return MetricSet(values=_numbers(me, names), collected_at=datetime.now(UTC))

    def post_metrics(self, remote_id: str) -> MetricSet:
        status = self._call(lambda api: api.status(remote_id))
        names = {"replies_count": "comments", "reblogs_count": "shares", "favourites_count": "likes",
                 "quotes_count": "quotes"}
        return MetricSet(values=_numbers(status, names), collected_at=datetime.now(UTC))

    def close(self) -> None:
        """The requests session is shared by the thread: nothing to release per connector."""
        self._client = None


def _numbers(entity: Any, names: dict[str, str]) -> dict[str, float]:
    """Metrics present on the entity, renamed; absent ones stay absent (never zero)."""
    values = {}
    for source, target in names.items():
        value = _get(entity, source)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[target] = value
    return values
