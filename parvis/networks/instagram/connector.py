"""Instagram connector (professional accounts): container → status polling → media_publish (NETWORKS.md §2).

Credentials (`credentials.data`): `ig_user_id`, `access_token`, optionally `login: "instagram"` (Instagram
Login: host graph.instagram.com; default is Facebook Login on graph.facebook.com), `app_secret`,
`graph_version`, `public_media_base_url`.

Meta downloads every media from a public URL (NETWORKS.md §11.3): a MediaFile whose path is an URL is sent
as is; a local file needs a public base URL (`public_media_base_url` on the channel or the
PARVIS_PUBLIC_MEDIA_URL setting) under which the media directory is served.

Before any container is made, the daily publishing limit is read from `content_publishing_limit`: when it is
used up the connector raises RateLimited with the instant the oldest post of the window frees a slot.

Lookup after a timeout: same scheme as Facebook (parvis.networks.meta.markers): exact caption in a time
window among the account's own recent media. Instagram has no API to delete a published media: not declared.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

from .. import errors
from ..meta import graph as meta_graph
from ..meta.base import MetaConnector, log
from ..meta.markers import Candidate
from ..meta.metrics import fetch_insights, map_fields
from ..types import CommentPage, Credentials, MediaFile, MetricSet, PostRequest, PostResult, RemoteComment

MEDIA_FIELDS = "id,caption,timestamp,permalink"
REPLY_FIELDS = "id,text,username,timestamp,hidden,from{id,username},parent_id"
COMMENT_FIELDS = f"id,text,username,timestamp,like_count,hidden,from{{id,username}},replies{{{REPLY_FIELDS}}}"
RECENT_MEDIA = 10
MAX_CAROUSEL = 10
DEFAULT_QUOTA_WINDOW_S = 86400


def is_url(path: str) -> bool:
    return urlsplit(path).scheme in ("http", "https")


class InstagramConnector(MetaConnector):
    network = "instagram"
    account_field = "ig_user_id"
    default_base_url = meta_graph.FACEBOOK_GRAPH
    capabilities = frozenset({
        "publish", "lookup", "images", "video", "reply", "first_comment",
        "comments", "hide_comment", "delete_comment", "account_metrics", "post_metrics",
    })
    # Container processing: images are ready at once, videos take up to minutes (NETWORKS.md §2.2).
    container_deadline_s = 300.0
    first_poll_s = 1.0
    max_poll_s = 30.0

    def __init__(self, credentials: Credentials, *, base_url: str | None = None, timeout: float = 20.0):
        super().__init__(credentials, base_url=base_url, timeout=timeout)
        self.sleep = time.sleep  # replaced in tests
        self.monotonic = time.monotonic

    def _default_host(self, credentials: Credentials) -> str:
        if (credentials.data or {}).get("login") == "instagram":
            return meta_graph.INSTAGRAM_GRAPH
        return meta_graph.FACEBOOK_GRAPH

    # --- media URLs ---

    def public_url(self, media: MediaFile) -> str:
        if is_url(media.path):
            return media.path
        data = self.credentials.data or {}
        base = str(data.get("public_media_base_url") or os.environ.get("PARVIS_PUBLIC_MEDIA_URL") or "")
        if not base:
            raise errors.ContentRejected(
                f"Instagram va chercher chaque média à une adresse publique, or le fichier « {Path(media.path).name} »"
                " n'est que sur ce serveur et aucune adresse publique des médias n'est configurée "
                "(réglage PARVIS_PUBLIC_MEDIA_URL ou stockage S3) : demandez à l'administrateur de la définir."
            )
        root = Path(str(data.get("media_root") or Path(os.environ.get("PARVIS_DATA_DIR", "var")) / "media"))
        path = Path(media.path)
        try:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            relative = path.name
        return f"{base.rstrip('/')}/{quote(relative)}"

    # --- publishing limit ---

    def check_quota(self) -> None:
        """RateLimited when the rolling 24 h publishing limit is used up, with the instant a slot frees."""
        ig = self._account()
        body = self.graph.get(f"{ig}/content_publishing_limit", {"fields": "quota_usage,config"})
        rows = body.get("data") or []
        row = rows[0] if rows and isinstance(rows[0], dict) else {}
        config = row.get("config") or {}
        usage, total = row.get("quota_usage"), config.get("quota_total")
        if not isinstance(usage, int) or not isinstance(total, int) or usage < total:
            return
        window = timedelta(seconds=int(config.get("quota_duration") or DEFAULT_QUOTA_WINDOW_S))
        now = meta_graph.utcnow()
        frees_at = now + window
        try:  # the slot frees when the oldest post of the window leaves it
            items = self.graph.get(f"{ig}/media", {"fields": "id,timestamp", "limit": min(total + 5, 100)})
            stamps = sorted(t for m in items.get("data") or []
                            if (t := meta_graph.parse_time(m.get("timestamp"))) and t > now - window)
            excess = usage - total  # posts that must leave the window before one more fits
            if len(stamps) > excess:
                frees_at = stamps[excess] + window
        except errors.NetworkError:
            pass
        raise errors.RateLimited(
            f"Instagram : limite de {total} publications par 24 h atteinte ({usage} utilisées).",
            retry_at=frees_at, retry_after_s=max((frees_at - now).total_seconds(), 0.0),
            detail=f"content_publishing_limit quota_usage={usage} quota_total={total}",
        )

    # --- containers ---

    def _container(self, params: dict) -> str:
        # A container is invisible until media_publish: a lost answer is only transient.
        body = self.graph.post(f"{self._account()}/media", params, visible=False)
        container = str(body.get("id") or "")
        if not container:
            raise errors.Transient("Instagram n'a pas créé le conteneur", detail=json.dumps(body)[:300])
        return container

    def wait_until_ready(self, container: str) -> None:
        """Poll the container until FINISHED, with a deadline. ERROR → ContentRejected (Meta's words)."""
        deadline = self.monotonic() + self.container_deadline_s
        pause = self.first_poll_s
        while True:
            body = self.graph.get(container, {"fields": "status_code,status"})
            code = str(body.get("status_code") or "")
            if code in ("FINISHED", "PUBLISHED"):
                return
            if code == "ERROR":
                raise errors.ContentRejected(
                    f"Instagram a refusé le média : {body.get('status') or 'erreur de traitement'}",
                    detail=f"container {container}: {body.get('status')}",
                )
            if code == "EXPIRED":
                raise errors.Transient("Le conteneur Instagram a expiré (24 h) : il sera recréé.",
                                       detail=f"container {container} EXPIRED")
            if self.monotonic() + pause > deadline:
                raise errors.Transient(
                    "Instagram n'a pas fini de traiter le média à temps ; rien n'a été publié.",
                    detail=f"container {container} still {code or 'unknown'} after {self.container_deadline_s}s",
                )
            self.sleep(pause)
            pause = min(pause * 2, self.max_poll_s)

    def _media_params(self, media: MediaFile, url: str, *, story: bool, carousel_item: bool,
                      options: dict) -> dict:
        if media.kind == "image":
            params = {"image_url": url}
            if media.alt_text and not story:
                params["alt_text"] = media.alt_text
        else:
            params = {"video_url": url, "media_type": "VIDEO" if carousel_item else "REELS"}
            if not carousel_item and not story:
                params["share_to_feed"] = "false" if options.get("share_to_feed") is False else "true"
        if story:
            params["media_type"] = "STORIES"
        if carousel_item:
            params["is_carousel_item"] = "true"
        return params

    # --- posts ---

    def publish(self, post: PostRequest) -> PostResult:
        if post.reply_to:
            return self.reply(post.reply_to, post.text, marker=post.marker)
        ig = self._account()
        story = bool(post.options.get("story"))
        if not post.media:
            raise errors.ContentRejected(
                "Instagram n'accepte pas de publication sans photo ni vidéo : ajoutez au moins un média.")
        if story and len(post.media) > 1:
            raise errors.ContentRejected("Instagram : une story ne contient qu'une photo ou une vidéo.")
        if len(post.media) > MAX_CAROUSEL:
            raise errors.ContentRejected(f"Instagram : un carrousel contient au plus {MAX_CAROUSEL} médias.")
        urls = [self.public_url(m) for m in post.media]
        self.check_quota()
        caption = "" if story else post.text
        if len(post.media) == 1:
            params = self._media_params(post.media[0], urls[0], story=story, carousel_item=False,
                                        options=post.options)
            if caption:
                params["caption"] = caption
            container = self._container(params)
        else:
            children = [
                self._container(self._media_params(m, u, story=False, carousel_item=True, options=post.options))
                for m, u in zip(post.media, urls, strict=True)
            ]
            for child in children:
                self.wait_until_ready(child)
            container = self._container({"media_type": "CAROUSEL", "children": ",".join(children),
                                         "caption": caption or None})
        self.wait_until_ready(container)
        self._remember(post.marker, caption)
        body = self.graph.post(f"{ig}/media_publish", {"creation_id": container}, visible=True)
        media_id = str(body.get("id") or "")
        if not media_id:
            raise errors.OutcomeUnknown("réponse sans identifiant", detail=json.dumps(body)[:300])
        self._confirm(post.marker, media_id)
        result = PostResult(media_id, self._permalink(media_id))
        if post.first_comment and not story:
            self._first_comment(media_id, post.first_comment, post.marker)
        return result

    def _permalink(self, media_id: str) -> str:
        try:
            return str(self.graph.get(media_id, {"fields": "permalink"}).get("permalink") or "")
        except errors.NetworkError:  # the post exists; its address can be read again later
            return ""

    def find_by_marker(self, marker: str, *, text: str | None = None,
                       sent_at: datetime | None = None) -> PostResult | None:
        sent = self._sent(marker, text, sent_at)
        if sent is None:
            return None
        edge = "stories" if sent.text == "" else "media"  # stories carry no caption
        candidates = []
        for items in self.graph.pages(f"{self._account()}/{edge}", {"fields": MEDIA_FIELDS, "limit": 50},
                                      max_pages=2):
            candidates += [
                Candidate(str(m["id"]), str(m.get("caption") or ""), meta_graph.parse_time(m.get("timestamp")),
                          str(m.get("permalink") or ""))
                for m in items if m.get("id")
            ]
        return self._find(marker, sent, candidates)

    # --- conversation ---

    def fetch_comments(self, *, cursor: str | None = None, post_ids: tuple[str, ...] = ()) -> CommentPage:
        since = self._since(cursor)
        if not post_ids:
            body = self.graph.get(f"{self._account()}/media", {"fields": "id", "limit": RECENT_MEDIA})
            post_ids = tuple(str(m["id"]) for m in body.get("data") or [] if isinstance(m, dict) and m.get("id"))
        found: list[RemoteComment] = []
        for media_id in post_ids:
            for items in self.graph.pages(f"{media_id}/comments", {"fields": COMMENT_FIELDS, "limit": 50},
                                          max_pages=10):
                page = []
                for item in items:
                    if (top := self._comment(item, media_id, "")) is not None:
                        page.append(top)
                        replies = (item.get("replies") or {}).get("data") or []
                        page += [r for reply in replies if isinstance(reply, dict)
                                 and (r := self._comment(reply, media_id, top.remote_id)) is not None]
                fresh = [c for c in page if since is None or c.created_at > since]
                found += fresh
                if page and not fresh:
                    break
        return CommentPage(tuple(found), self._next_cursor(cursor, found))

    @staticmethod
    def _comment(item: dict, media_id: str, parent: str) -> RemoteComment | None:
        created = meta_graph.parse_time(item.get("timestamp"))
        if not item.get("id") or created is None:
            return None
        author = item.get("from") if isinstance(item.get("from"), dict) else {}
        parent = parent or str(item.get("parent_id") or "")
        return RemoteComment(
            remote_id=str(item["id"]), post_remote_id=media_id, author_id=str(author.get("id") or ""),
            author_handle=str(item.get("username") or author.get("username") or ""),
            text=str(item.get("text") or ""), created_at=created, parent_remote_id=parent,
            kind="reply" if parent else "comment", hidden=bool(item.get("hidden")),
        )

    def reply(self, to_remote_id: str, text: str, *, marker: str) -> PostResult:
        """Answer a comment as the account (`/{comment}/replies`)."""
        return self._answer(f"{to_remote_id}/replies", text)

    def _first_comment(self, remote_id: str, text: str, marker: str) -> None:
        try:
            self._answer(f"{remote_id}/comments", text)
        except errors.NetworkError as exc:  # the post exists: never fail the delivery for its first comment
            log.warning("instagram first comment on %s failed: %s", remote_id, exc.detail)

    def _answer(self, path: str, text: str) -> PostResult:
        body = self.graph.post(path, {"message": text}, visible=True)
        remote_id = str(body.get("id") or "")
        if not remote_id:
            raise errors.OutcomeUnknown("réponse sans identifiant", detail=json.dumps(body)[:300])
        return PostResult(remote_id, "")

    def hide_comment(self, remote_id: str, *, hidden: bool = True, post_remote_id: str = "") -> None:
        self.graph.post(remote_id, {"hide": "true" if hidden else "false"}, visible=False)

    # --- figures ---

    def account_metrics(self) -> MetricSet:
        ig = self._account()
        values = map_fields(self.graph.get(ig, {"fields": "followers_count,follows_count,media_count"}),
                            "instagram_account")
        values.update(fetch_insights(self.graph, ig, "instagram_account",
                                     {"period": "day", "metric_type": "total_value"}))
        return MetricSet(values, meta_graph.utcnow())

    def post_metrics(self, remote_id: str) -> MetricSet:
        values = map_fields(self.graph.get(remote_id, {"fields": "like_count,comments_count"}), "instagram_media")
        values.update(fetch_insights(self.graph, remote_id, "instagram_media"))
        return MetricSet(values, meta_graph.utcnow())
