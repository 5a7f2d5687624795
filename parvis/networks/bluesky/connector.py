"""Bluesky connector: XRPC calls to the account's PDS (which forwards app.bsky.* reads to its AppView).

Choices worth knowing:
- **Transport**: plain XRPC over parvis.networks.http (one pooled client, redacted logs, per-network slot),
  not the `atproto` SDK: its 0.0.73 release requires httpx < 0.29 and Parvis pins httpx 0.29.
- **Session**: log in once with the app password (`credentials.data["app_password"]`), keep
  `access_jwt`/`refresh_jwt`/`did` in `credentials.data`; an expired access token is renewed with
  `refreshSession` (once per call), a dead refresh token falls back to the password. `createSession` is
  limited to 30 per 5 min: never log in per post. `refresh_credentials()` returns the data to store and
  `updated_credentials` holds it when a call renewed the session by itself.
- **Marker → deterministic rkey**: the post's record key is a TID computed from a hash of our marker
  (`rkey_for`). `find_by_marker` is then one `getRecord` of at://<did>/app.bsky.feed.post/<rkey>, and a
  second create with the same marker is refused by the PDS: mapped to Duplicate carrying the existing
  post, so a timeout after the PDS accepted never makes two posts. Thread parts use `<marker>#<n>`, and a
  retried thread completes the missing parts instead of failing.
- **remote_id** is the post's at-uri; the URL is https://bsky.app/profile/<handle>/post/<rkey> (the web
  client of the network, also for a self-hosted PDS; on a local test network the URL has the same shape).
- **Comments** come from notifications (reply, mention, quote); the cursor is the `indexedAt` of the newest
  one seen, so a later call returns only what the AppView indexed after it.
- **Hiding** a reply adds it to the `hiddenReplies` of the threadgate of our root post (same rkey as the
  post), created if absent without `allow` so that everybody can still reply. Others' posts cannot be
  deleted on Bluesky: no `delete_comment`.
- **Host**: the PDS URL is user-given: `guard_public_host` refuses internal addresses (loopback only with
  `allow_loopback=True`, for tests against a local network).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from .. import errors
from ..base import Connector
from ..http import (
    SharedClients,
    UnsafeHost,
    guard_public_host,
    make_timeout,
    network_slot,
    request_with_retry,
)
from ..types import CommentPage, Credentials, MediaFile, MetricSet, PostRequest, PostResult, RemoteComment
from .errors import map_error, xrpc_error
from .facets import build_facets

DEFAULT_PDS = "https://bsky.social"
WEB_URL = "https://bsky.app"
POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000  # app.bsky.embed.images
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
MAX_VIDEO_BYTES = 300_000_000  # app.bsky.embed.video
MAX_HIDDEN_REPLIES = 300
COMMENT_REASONS = ("reply", "mention", "quote")
MAX_NOTIFICATION_PAGES = 10
REFRESH_MARGIN_S = 30

_clients = SharedClients(shards=int(os.environ.get("PARVIS_HTTP_SHARDS", "8")), max_connections_per_shard=16)


def shared_client() -> httpx.Client:
    return _clients.get()


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def rkey_for(marker: str) -> str:
    """The record key of the post carrying `marker`: a syntactically valid TID (13 base32-sortable chars,
    top bit clear) from SHA-256 of the marker, so the same marker always names the same record."""
    value = int.from_bytes(hashlib.sha256(marker.encode("utf-8")).digest()[:8], "big") & ((1 << 63) - 1)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def parse_at_uri(uri: str) -> tuple[str, str, str]:
    """at://<did>/<collection>/<rkey> → (did, collection, rkey)."""
    if not uri.startswith("at://"):
        raise errors.Permanent(f"Identifiant Bluesky invalide : « {uri} ».")
    parts = uri[5:].split("/")
    if len(parts) != 3 or not all(parts):
        raise errors.Permanent(f"Identifiant Bluesky invalide : « {uri} ».")
    return parts[0], parts[1], parts[2]


def post_url(handle_or_did: str, uri: str) -> str:
    return f"{WEB_URL}/profile/{handle_or_did}/post/{parse_at_uri(uri)[2]}"


def _jwt_exp(token: str) -> float | None:
    """Expiry (epoch seconds) of a JWT, read without verifying it: only to avoid a doomed request."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return float(json.loads(base64.urlsafe_b64decode(payload))["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse_instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class BlueskyConnector(Connector):
    network = "bluesky"
    capabilities = frozenset({
        "publish", "lookup", "delete", "images", "video", "link", "thread", "reply",
        "comments", "hide_comment", "account_metrics", "post_metrics", "refresh",
    })

    def __init__(self, credentials: Credentials, *, base_url: str | None = None, timeout: float = 20.0,
                 allow_loopback: bool = False):
        super().__init__(credentials, base_url=(base_url or DEFAULT_PDS).rstrip("/"), timeout=timeout)
        self.allow_loopback = allow_loopback
        data = dict(credentials.data or {})
        self._session = {k: data.get(k, "") for k in ("did", "handle", "access_jwt", "refresh_jwt")}
        self._guarded = False
        self.updated_credentials: dict | None = None  # set when a call renewed the session: store it

    # --- plumbing -------------------------------------------------------------------------------------

    def _guard(self) -> None:
        if self._guarded:
            return
        try:
            guard_public_host(self.base_url, allow_loopback=self.allow_loopback)
        except UnsafeHost as exc:
            raise errors.Permanent(str(exc)) from exc
        self._guarded = True

    def _send(self, method: str, nsid: str, *, params=None, json_body=None, content=None,
              content_type: str = "", token: str | None = None, write: bool = False) -> httpx.Response:
        self._guard()
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        url = f"{self.base_url}/xrpc/{nsid}"
        try:
            with network_slot("bluesky"):
                if method == "GET":
                    return request_with_retry(shared_client(), "GET", url, attempts=2, params=params,
                                              headers=headers, timeout=make_timeout(self.timeout))
                return shared_client().request(method, url, params=params, json=json_body, content=content,
                                               headers=headers, timeout=make_timeout(self.timeout))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise errors.Transient("serveur Bluesky injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
        except httpx.TransportError as exc:
            if write:  # the PDS may have written the record: reconcile by marker, never re-send blindly
                raise errors.OutcomeUnknown("réponse de Bluesky non reçue",
                                            detail=f"{type(exc).__name__}: {exc}") from exc
            raise errors.Transient("serveur Bluesky injoignable", detail=f"{type(exc).__name__}: {exc}") from exc

    def _call(self, method: str, nsid: str, *, write: bool = False, **kwargs) -> dict:
        """An authenticated XRPC call; renews an expired session once."""
        for attempt in (1, 2):
            response = self._send(method, nsid, token=self._access_token(), write=write, **kwargs)
            if response.status_code < 300:
                return response.json() if response.content else {}
            name, _ = xrpc_error(response)
            if attempt == 1 and name in ("ExpiredToken", "InvalidToken"):
                self._renew()
                continue
            raise map_error(response, now=datetime.now(UTC))
        raise AssertionError("unreachable")

    # --- session --------------------------------------------------------------------------------------

    def _access_token(self) -> str:
        exp = _jwt_exp(self._session["access_jwt"]) if self._session["access_jwt"] else None
        if not self._session["access_jwt"] or (exp is not None and exp - REFRESH_MARGIN_S < datetime.now(UTC).timestamp()):
            self._renew()
        return self._session["access_jwt"]

    def _renew(self) -> None:
        refresh = self._session["refresh_jwt"]
        exp = _jwt_exp(refresh) if refresh else None
        if refresh and (exp is None or exp > datetime.now(UTC).timestamp()):
            response = self._send("POST", "com.atproto.server.refreshSession", token=refresh, write=False)
            if response.status_code < 300:
                self._store_session(response.json())
                return
            if response.status_code >= 500 or response.status_code == 429:
                raise map_error(response, now=datetime.now(UTC))
        self._login()  # the refresh token is dead or absent: the app password, once

    def _login(self) -> None:
        password = (self.credentials.data or {}).get("app_password", "")
        identifier = self.credentials.handle or self._session["did"]
        if not password or not identifier:
            raise errors.AuthExpired("Session Bluesky expirée et aucun mot de passe d'application enregistré : "
                                     "reconnectez le compte.")
        response = self._send("POST", "com.atproto.server.createSession",
                              json_body={"identifier": identifier, "password": password})
        if response.status_code >= 300:
            raise map_error(response, now=datetime.now(UTC))
        self._store_session(response.json())

    def _store_session(self, body: dict) -> None:
        self._session.update(did=body.get("did", self._session["did"]),
                             handle=body.get("handle", self._session["handle"]),
                             access_jwt=body.get("accessJwt", ""),
                             refresh_jwt=body.get("refreshJwt") or self._session["refresh_jwt"])
        self.updated_credentials = {**(self.credentials.data or {}), **self._session}

    def refresh_credentials(self) -> dict | None:
        self._renew()
        return self.updated_credentials

    def _did(self) -> str:
        if not self._session["did"]:
            self._access_token()
        return self._session["did"]

    def _handle(self) -> str:
        return self._session["handle"] or self.credentials.handle or self._did()

    # --- posts ----------------------------------------------------------------------------------------

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            return self._call("GET", "com.atproto.identity.resolveHandle", params={"handle": handle}).get("did")
        except errors.NetworkError:
            return None

    def _read_media(self, media: MediaFile) -> bytes:
        if media.path.startswith(("http://", "https://")):  # Parvis's own object storage, signed URL
            try:
                response = request_with_retry(shared_client(), "GET", media.path, attempts=2,
                                              timeout=make_timeout(self.timeout))
            except httpx.TransportError as exc:
                raise errors.Transient("média injoignable", detail=str(exc)) from exc
            if response.status_code != 200:
                raise errors.Transient(f"média illisible (HTTP {response.status_code})")
            return response.content
        with open(media.path, "rb") as fh:
            return fh.read()

    def _upload(self, data: bytes, mime_type: str) -> dict:
        # A blob is content-addressed and invisible until a post uses it: a lost answer changes nothing.
        return self._call("POST", "com.atproto.repo.uploadBlob", content=data, content_type=mime_type)["blob"]

    def _embed(self, post: PostRequest) -> dict | None:
        images = [m for m in post.media if m.kind == "image"]
        videos = [m for m in post.media if m.kind == "video"]
        if images and videos:
            raise errors.ContentRejected("Bluesky n'accepte pas d'images et de vidéo dans la même publication.")
        if len(images) > MAX_IMAGES:
            raise errors.ContentRejected(f"Bluesky accepte au plus {MAX_IMAGES} images par publication.")
        if len(videos) > 1:
            raise errors.ContentRejected("Bluesky accepte une seule vidéo par publication.")
        if images:
            items = []
            for media in images:
                if media.mime_type not in IMAGE_TYPES:
                    raise errors.ContentRejected(f"Format d'image refusé par Bluesky : {media.mime_type}.")
                data = self._read_media(media)
                if len(data) > MAX_IMAGE_BYTES:
                    raise errors.ContentRejected(
                        f"Image trop lourde pour Bluesky : {len(data)} octets (au plus {MAX_IMAGE_BYTES}).")
                item = {"image": self._upload(data, media.mime_type), "alt": media.alt_text or ""}
                ratio = _image_ratio(data)
                if ratio:
                    item["aspectRatio"] = ratio
                items.append(item)
            return {"$type": "app.bsky.embed.images", "images": items}
        if videos:
            media = videos[0]
            if media.mime_type != "video/mp4":
                raise errors.ContentRejected(f"Bluesky n'accepte que des vidéos MP4, pas {media.mime_type}.")
            data = self._read_media(media)
            if len(data) > MAX_VIDEO_BYTES:
                raise errors.ContentRejected(
                    f"Vidéo trop lourde pour Bluesky : {len(data)} octets (au plus {MAX_VIDEO_BYTES}).")
            embed = {"$type": "app.bsky.embed.video", "video": self._upload(data, "video/mp4")}
            if media.alt_text:
                embed["alt"] = media.alt_text
            return embed
        if post.link:
            return {"$type": "app.bsky.embed.external", "external": {
                "uri": post.link,
                "title": str(post.options.get("link_title") or post.link),
                "description": str(post.options.get("link_description") or ""),
            }}
        return None

    def _record(self, text: str, *, reply: dict | None = None, embed: dict | None = None,
                langs=("fr",)) -> dict:
        record = {"$type": POST, "text": text, "createdAt": _now_iso(), "langs": list(langs)[:3]}
        facets = build_facets(text, self._resolve_handle)
        if facets:
            record["facets"] = facets
        if reply:
            record["reply"] = reply
        if embed:
            record["embed"] = embed
        return record

    def _create(self, rkey: str, record: dict) -> dict:
        """createRecord with our rkey: {"uri", "cid"}; an existing record raises Duplicate with its uri/cid."""
        did = self._did()
        try:
            return self._call("POST", "com.atproto.repo.createRecord", write=True,
                              json_body={"repo": did, "collection": POST, "rkey": rkey, "record": record})
        except (errors.ContentRejected, errors.Permanent, errors.Transient) as exc:
            existing = self._get_record(did, POST, rkey)
            if existing is None:
                raise
            dup = errors.Duplicate("Cette publication existe déjà sur Bluesky.", detail=exc.detail)
            dup.remote_id = existing["uri"]
            dup.url = post_url(self._handle(), existing["uri"])
            dup.cid = existing.get("cid", "")
            raise dup from exc

    def _get_record(self, did: str, collection: str, rkey: str) -> dict | None:
        try:
            return self._call("GET", "com.atproto.repo.getRecord",
                              params={"repo": did, "collection": collection, "rkey": rkey})
        except (errors.ContentRejected, errors.Permanent) as exc:
            if "RecordNotFound" in exc.detail or "Could not locate record" in exc.detail:
                return None
            raise

    def publish(self, post: PostRequest) -> PostResult:
        langs = post.options.get("langs") or ("fr",)
        reply = self._reply_refs(post.reply_to) if post.reply_to else None
        record = self._record(post.text, reply=reply, embed=self._embed(post), langs=langs)
        duplicate = None
        try:
            root = self._create(rkey_for(post.marker), record)
        except errors.Duplicate as exc:
            duplicate, root = exc, {"uri": exc.remote_id, "cid": exc.cid}
        root_ref = reply["root"] if reply else {"uri": root["uri"], "cid": root["cid"]}
        parent = {"uri": root["uri"], "cid": root["cid"]}
        for n, text in enumerate(post.thread, start=1):  # a retried thread completes what is missing
            part = self._record(text, reply={"root": root_ref, "parent": parent}, langs=langs)
            try:
                created = self._create(rkey_for(f"{post.marker}#{n}"), part)
            except errors.Duplicate as exc:
                created = {"uri": exc.remote_id, "cid": exc.cid}
            parent = {"uri": created["uri"], "cid": created["cid"]}
        if duplicate is not None:
            raise duplicate
        return PostResult(remote_id=root["uri"], url=post_url(self._handle(), root["uri"]))

    def find_by_marker(self, marker: str) -> PostResult | None:
        found = self._get_record(self._did(), POST, rkey_for(marker))
        if found is None:
            return None
        return PostResult(remote_id=found["uri"], url=post_url(self._handle(), found["uri"]))

    def delete(self, remote_id: str) -> None:
        did, collection, rkey = parse_at_uri(remote_id)
        if did != self._did():
            raise errors.Permanent("Seules les publications du compte peuvent être supprimées sur Bluesky.")
        self._call("POST", "com.atproto.repo.deleteRecord",
                   json_body={"repo": did, "collection": collection, "rkey": rkey})

    # --- conversation ---------------------------------------------------------------------------------

    def _post_view(self, uri: str) -> dict | None:
        posts = self._call("GET", "app.bsky.feed.getPosts", params={"uris": [uri]}).get("posts") or []
        if posts:
            return posts[0]
        did, collection, rkey = parse_at_uri(uri)
        if did == self._did():  # our own post, not indexed yet by the AppView
            found = self._get_record(did, collection, rkey)
            if found:
                return {"uri": found["uri"], "cid": found["cid"], "record": found.get("value") or {}}
        return None

    def _reply_refs(self, uri: str) -> dict:
        view = self._post_view(uri)
        if view is None:
            raise errors.Permanent(f"Message Bluesky introuvable : « {uri} ».")
        parent = {"uri": view["uri"], "cid": view["cid"]}
        root = ((view.get("record") or {}).get("reply") or {}).get("root") or parent
        return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent}

    def reply(self, to_remote_id: str, text: str, *, marker: str) -> PostResult:
        record = self._record(text, reply=self._reply_refs(to_remote_id))
        created = self._create(rkey_for(marker), record)
        return PostResult(remote_id=created["uri"], url=post_url(self._handle(), created["uri"]))

    def fetch_comments(self, *, cursor: str | None = None, post_ids: tuple[str, ...] = ()) -> CommentPage:
        """Replies, mentions and quotes indexed after `cursor` (an indexedAt instant), newest first.

        `post_ids` is not needed: notifications cover every post of the account."""
        since = _parse_instant(cursor) if cursor else None
        did = self._did()
        comments, newest, api_cursor = [], cursor, None
        for _ in range(MAX_NOTIFICATION_PAGES):
            params = {"limit": 100, "reasons": list(COMMENT_REASONS)}
            if api_cursor:
                params["cursor"] = api_cursor
            body = self._call("GET", "app.bsky.notification.listNotifications", params=params)
            notes = body.get("notifications") or []
            done = False
            for note in notes:
                indexed = _parse_instant(note.get("indexedAt", ""))
                if indexed is None:
                    continue
                if since is not None and indexed <= since:
                    done = True
                    break
                if newest is None or indexed > (_parse_instant(newest) or indexed):
                    newest = note["indexedAt"]
                if note.get("reason") in COMMENT_REASONS:
                    comment = _comment(note, did, indexed)
                    if comment is not None:
                        comments.append(comment)
            api_cursor = body.get("cursor")
            if done or since is None or not api_cursor or not notes:
                break  # without a cursor, the newest page only: older notifications predate the channel
        return CommentPage(comments=tuple(comments), cursor=newest)

    def hide_comment(self, remote_id: str, *, hidden: bool = True, post_remote_id: str = "") -> None:
        root_uri = post_remote_id
        if not root_uri:
            view = self._post_view(remote_id)
            if view is None:
                raise errors.Permanent(f"Réponse Bluesky introuvable : « {remote_id} ».")
            root_uri = (((view.get("record") or {}).get("reply") or {}).get("root") or {}).get("uri", "")
        did = self._did()
        root_did, _, root_rkey = parse_at_uri(root_uri)
        if root_did != did:
            raise errors.Permanent("On ne peut masquer des réponses que sous les publications du compte.")
        for attempt in (1, 2):  # a concurrent change of the threadgate: read it again once
            existing = self._get_record(did, THREADGATE, root_rkey)
            gate = dict((existing or {}).get("value") or {})
            gate.setdefault("$type", THREADGATE)
            gate.setdefault("post", root_uri)
            gate.setdefault("createdAt", _now_iso())  # no "allow": everybody may still reply
            replies = [u for u in gate.get("hiddenReplies", []) if u != remote_id]
            if hidden:
                replies.append(remote_id)
            if len(replies) > MAX_HIDDEN_REPLIES:
                raise errors.ContentRejected(
                    f"Bluesky limite à {MAX_HIDDEN_REPLIES} le nombre de réponses masquées par publication.")
            gate["hiddenReplies"] = replies
            body = {"repo": did, "collection": THREADGATE, "rkey": root_rkey, "record": gate}
            if existing:
                body["swapRecord"] = existing["cid"]
            try:
                self._call("POST", "com.atproto.repo.putRecord", json_body=body)
                return
            except errors.Transient as exc:
                if attempt == 2 or "InvalidSwap" not in exc.detail:
                    raise

    # --- figures --------------------------------------------------------------------------------------

    def account_metrics(self) -> MetricSet:
        profile = self._call("GET", "app.bsky.actor.getProfile", params={"actor": self._did()})
        names = {"followersCount": "followers", "followsCount": "follows", "postsCount": "posts"}
        return MetricSet(values={ours: profile[theirs] for theirs, ours in names.items()
                                 if isinstance(profile.get(theirs), int)}, collected_at=datetime.now(UTC))

    def post_metrics(self, remote_id: str) -> MetricSet:
        posts = self._call("GET", "app.bsky.feed.getPosts", params={"uris": [remote_id]}).get("posts") or []
        if not posts:
            raise errors.Permanent(f"Publication Bluesky introuvable : « {remote_id} ».")
        names = {"likeCount": "likes", "repostCount": "reposts", "replyCount": "replies",
                 "quoteCount": "quotes", "bookmarkCount": "bookmarks"}
        return MetricSet(values={ours: posts[0][theirs] for theirs, ours in names.items()
                                 if isinstance(posts[0].get(theirs), int)}, collected_at=datetime.now(UTC))


def _image_ratio(data: bytes) -> dict | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # noqa: BLE001 — the ratio is optional; Bluesky checks the image itself
        return None
    return {"width": width, "height": height} if width and height else None


def _comment(note: dict, our_did: str, indexed: datetime) -> RemoteComment | None:
    """A notification as a RemoteComment; every string in it is untrusted."""
    record = note.get("record") or {}
    author = note.get("author") or {}
    uri = str(note.get("uri") or "")
    if not uri.startswith("at://"):
        return None
    reply = record.get("reply") or {}
    root = str((reply.get("root") or {}).get("uri") or "")
    parent = str((reply.get("parent") or {}).get("uri") or "")
    ours = f"at://{our_did}/"
    reason = note.get("reason")
    post_remote_id, parent_id, kind = "", "", "mention"
    if reason == "quote":
        embed = record.get("embed") or {}
        quoted = str(((embed.get("record") or {}).get("record") or embed.get("record") or {}).get("uri") or "")
        post_remote_id = quoted if quoted.startswith(ours) else ""
    elif root.startswith(ours):
        post_remote_id = root
        if reason == "reply":
            kind = "comment" if parent == root else "reply"
            parent_id = "" if parent == root else parent
    handle = str(author.get("handle") or "")
    return RemoteComment(
        remote_id=uri, post_remote_id=post_remote_id, author_id=str(author.get("did") or ""),
        author_handle=handle, author_name=str(author.get("displayName") or ""),
        text=str(record.get("text") or ""), created_at=indexed, parent_remote_id=parent_id,
        url=f"{WEB_URL}/profile/{quote(handle or str(author.get('did') or ''), safe=':.')}/post/{uri.rsplit('/', 1)[-1]}",
        kind=kind,
    )
