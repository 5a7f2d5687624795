"""Facebook Pages connector: a thin Graph API client (NETWORKS.md §1), no Meta SDK.

Credentials (`credentials.data`): `page_id`, `access_token` (a Page token, which does not expire), and
optionally `app_secret` (adds `appsecret_proof`) and `graph_version`.

Publishing: text and link posts (`/feed`), one photo (`/photos`), several photos (unpublished photos, then
`/feed` with `attached_media`), a feed video (`/videos` with `file_url` or an uploaded `source`) and a Reel
(`/video_reels` start → upload → finish) when `options["reel"]` is true. `options["scheduled_publish_time"]`
(aware datetime or epoch seconds) schedules natively on Facebook; Parvis's own scheduler is preferred.

Lookup after a timeout: Meta keeps no hidden data on a post, so the marker stays in our journal and the
lookup matches the exact text in a time window among the Page's own `published_posts` (see
parvis.networks.meta.markers).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import errors
from ..meta import graph as meta_graph
from ..meta.base import MetaConnector
from ..meta.markers import Candidate
from ..meta.metrics import fetch_insights, map_fields
from ..types import CommentPage, MediaFile, MetricSet, PostRequest, PostResult, RemoteComment

POST_FIELDS = "id,message,created_time,permalink_url"
COMMENT_FIELDS = "id,message,from,created_time,is_hidden,parent{id},permalink_url"
RECENT_POSTS = 10  # posts whose comments are read when the caller names none


def is_url(path: str) -> bool:
    return urlsplit(path).scheme in ("http", "https")


def post_url(remote_id: str) -> str:
    return f"https://www.facebook.com/{remote_id}"


def _epoch(value) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise errors.ContentRejected("Facebook : l'heure de programmation doit indiquer son fuseau horaire.")
        return int(value.timestamp())
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise errors.ContentRejected(
            f"Facebook : heure de programmation illisible ({value!r})."
        ) from exc


class FacebookConnector(MetaConnector):
    network = "facebook"
    account_field = "page_id"
    default_base_url = meta_graph.FACEBOOK_GRAPH
    capabilities = frozenset({
        "publish", "lookup", "delete", "images", "video", "link", "reply", "first_comment",
        "comments", "hide_comment", "delete_comment", "account_metrics", "post_metrics",
    })

    @property
    def video_base_url(self) -> str:
        # Video uploads go to graph-video.facebook.com; a test or proxy base URL serves both.
        if self.base_url == meta_graph.FACEBOOK_GRAPH:
            return meta_graph.FACEBOOK_VIDEO_GRAPH
        return self.base_url

    # --- posts ---

    def publish(self, post: PostRequest) -> PostResult:
        if post.reply_to:
            return self.reply(post.reply_to, post.text, marker=post.marker)
        page = self._account()
        images = [m for m in post.media if m.kind == "image"]
        videos = [m for m in post.media if m.kind == "video"]
        if images and videos:
            raise errors.ContentRejected("Facebook : une publication ne peut pas mêler photos et vidéo.")
        if len(videos) > 1:
            raise errors.ContentRejected("Facebook : une seule vidéo par publication.")
        schedule = {}
        if post.options.get("scheduled_publish_time") is not None:
            schedule = {"published": "false",
                        "scheduled_publish_time": str(_epoch(post.options["scheduled_publish_time"]))}
        self._remember(post.marker, post.text)
        if videos and post.options.get("reel"):
            result = self._publish_reel(page, post, videos[0], schedule)
        elif videos:
            result = self._publish_video(page, post, videos[0], schedule)
        elif len(images) == 1:
            result = self._publish_photo(page, post, images[0], schedule)
        elif images:
            result = self._publish_photos(page, post, images, schedule)
        else:
            body = self.graph.post(f"{page}/feed", {"message": post.text, "link": post.link or None, **schedule},
                                   visible=True)
            result = self._result(body)
        self._confirm(post.marker, result.remote_id)
        if post.first_comment:
            self._first_comment(result.remote_id, post.first_comment, post.marker)
        return result

    @staticmethod
    def _result(body: dict) -> PostResult:
        remote_id = str(body.get("post_id") or body.get("id") or "")
        if not remote_id:
            raise errors.OutcomeUnknown("réponse sans identifiant", detail=json.dumps(body)[:300])
        return PostResult(remote_id, str(body.get("permalink_url") or post_url(remote_id)))

    @staticmethod
    def _media_source(media: MediaFile, url_field: str) -> tuple[dict, dict | None]:
        """A public URL is pulled by Meta; a local file is uploaded as multipart `source`."""
        if is_url(media.path):
            return {url_field: media.path}, None
        path = Path(media.path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise errors.Permanent(f"Fichier média illisible : {path.name}", detail=str(exc)) from exc
        return {}, {"source": (path.name, content, media.mime_type)}

    def _publish_photo(self, page: str, post: PostRequest, image: MediaFile, schedule: dict) -> PostResult:
        data, files = self._media_source(image, "url")
        data.update({"message": post.text, "alt_text_custom": image.alt_text or None, **schedule})
        return self._result(self.graph.post(f"{page}/photos", data, files=files, visible=True))

    def _publish_photos(self, page: str, post: PostRequest, images: list[MediaFile], schedule: dict) -> PostResult:
        attached = {}
        for index, image in enumerate(images):
            data, files = self._media_source(image, "url")
            # Unpublished photos are invisible until attached: a lost answer is only transient.
            data.update({"published": "false", "alt_text_custom": image.alt_text or None})
            if schedule:
                data["temporary"] = "true"
            body = self.graph.post(f"{page}/photos", data, files=files, visible=False)
            attached[f"attached_media[{index}]"] = json.dumps({"media_fbid": str(body.get("id"))})
        body = self.graph.post(f"{page}/feed", {"message": post.text, **attached, **schedule}, visible=True)
        return self._result(body)

    def _publish_video(self, page: str, post: PostRequest, video: MediaFile, schedule: dict) -> PostResult:
        data, files = self._media_source(video, "file_url")
        data.update({"description": post.text, "title": post.options.get("title") or None, **schedule})
        body = self.graph.post(f"{page}/videos", data, files=files, visible=True, base_url=self.video_base_url)
        video_id = str(body.get("id") or "")
        if not video_id:
            raise errors.OutcomeUnknown("réponse sans identifiant", detail=json.dumps(body)[:300])
        return PostResult(video_id, f"https://www.facebook.com/{page}/videos/{video_id}")

    def _publish_reel(self, page: str, post: PostRequest, video: MediaFile, schedule: dict) -> PostResult:
        start = self.graph.post(f"{page}/video_reels", {"upload_phase": "start"}, visible=False)
        video_id, upload_url = str(start.get("video_id") or ""), str(start.get("upload_url") or "")
        if not video_id or not upload_url:
            raise errors.Transient("Facebook n'a pas ouvert d'envoi de Reel", detail=json.dumps(start)[:300])
        if is_url(video.path):
            self.graph.post(upload_url, headers={"file_url": video.path}, content=b"", visible=False)
        else:
            try:
                content = Path(video.path).read_bytes()
            except OSError as exc:
                raise errors.Permanent(f"Fichier vidéo illisible : {Path(video.path).name}", detail=str(exc)) from exc
            self.graph.post(upload_url, headers={"offset": "0", "file_size": str(len(content))}, content=content,
                            visible=False)
        finish = {"upload_phase": "finish", "video_id": video_id, "description": post.text,
                  "video_state": "SCHEDULED" if schedule else "PUBLISHED"}
        if schedule:
            finish["scheduled_publish_time"] = schedule["scheduled_publish_time"]
        self.graph.post(f"{page}/video_reels", finish, visible=True)
        return PostResult(video_id, f"https://www.facebook.com/reel/{video_id}")

    def find_by_marker(self, marker: str, *, text: str | None = None,
                       sent_at: datetime | None = None) -> PostResult | None:
        sent = self._sent(marker, text, sent_at)
        if sent is None:
            return None
        candidates = []
        for items in self.graph.pages(f"{self._account()}/published_posts",
                                      {"fields": POST_FIELDS, "limit": 50}, max_pages=3):
            candidates += [
                Candidate(str(p.get("id")), str(p.get("message") or ""), meta_graph.parse_time(p.get("created_time")),
                          str(p.get("permalink_url") or post_url(str(p.get("id")))))
                for p in items if p.get("id")
            ]
        return self._find(marker, sent, candidates)

    def delete(self, remote_id: str) -> None:
        self.graph.delete(remote_id)

    # --- conversation ---

    def fetch_comments(self, *, cursor: str | None = None, post_ids: tuple[str, ...] = ()) -> CommentPage:
        since = self._since(cursor)
        if not post_ids:
            body = self.graph.get(f"{self._account()}/published_posts", {"fields": "id", "limit": RECENT_POSTS})
            post_ids = tuple(str(p["id"]) for p in body.get("data") or [] if isinstance(p, dict) and p.get("id"))
        found: list[RemoteComment] = []
        for post_id in post_ids:
            params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological", "limit": 50}
            for items in self.graph.pages(f"{post_id}/comments", params, max_pages=10):
                page = [c for item in items if (c := self._comment(item, post_id)) is not None]
                fresh = [c for c in page if since is None or c.created_at > since]
                found += fresh
                if page and not fresh:  # everything on this page was seen already
                    break
        return CommentPage(tuple(found), self._next_cursor(cursor, found))

    @staticmethod
    def _comment(item: dict, post_id: str) -> RemoteComment | None:
        created = meta_graph.parse_time(item.get("created_time"))
        if created is None:
            return None
        remote_id, parent = str(item.get("id") or ""), ""
        if isinstance(item.get("parent"), dict):
            parent = str(item["parent"].get("id") or "")
        # Some answers omit `id`; the permalink still names the comment (and its parent for a reply).
        query = dict(p.split("=", 1) for p in urlsplit(str(item.get("permalink_url") or "")).query.split("&")
                     if "=" in p)
        object_id = post_id.rsplit("_", 1)[-1]
        if not remote_id:
            own = query.get("reply_comment_id") or query.get("comment_id")
            if not own:
                return None
            remote_id = f"{object_id}_{own}"
        if not parent and query.get("reply_comment_id") and query.get("comment_id"):
            parent = f"{object_id}_{query['comment_id']}"
        author = item.get("from") if isinstance(item.get("from"), dict) else {}
        return RemoteComment(
            remote_id=remote_id, post_remote_id=post_id, author_id=str(author.get("id") or ""),
            author_handle=str(author.get("id") or ""), author_name=str(author.get("name") or ""),
            text=str(item.get("message") or ""), created_at=created, parent_remote_id=parent,
            url=str(item.get("permalink_url") or ""), kind="reply" if parent else "comment",
            hidden=bool(item.get("is_hidden")),
        )

    def reply(self, to_remote_id: str, text: str, *, marker: str) -> PostResult:
        body = self.graph.post(f"{to_remote_id}/comments", {"message": text}, visible=True)
        remote_id = str(body.get("id") or "")
        if not remote_id:
            raise errors.OutcomeUnknown("réponse sans identifiant", detail=json.dumps(body)[:300])
        return PostResult(remote_id, str(body.get("permalink_url") or post_url(remote_id)))

    def hide_comment(self, remote_id: str, *, hidden: bool = True, post_remote_id: str = "") -> None:
        self.graph.post(remote_id, {"is_hidden": "true" if hidden else "false"}, visible=False)

    # --- figures ---

    def account_metrics(self) -> MetricSet:
        page = self._account()
        values = map_fields(self.graph.get(page, {"fields": "followers_count,fan_count"}), "facebook_page")
        values.update(fetch_insights(self.graph, page, "facebook_page", {"period": "day"}))
        return MetricSet(values, meta_graph.utcnow())

    def post_metrics(self, remote_id: str) -> MetricSet:
        obj = self.graph.get(remote_id, {
            "fields": "shares,reactions.summary(total_count),comments.summary(total_count)"})
        values = {}
        for field, figure, path in (("shares", "shares", ("count",)),
                                    ("reactions", "reactions", ("summary", "total_count")),
                                    ("comments", "comments", ("summary", "total_count"))):
            node = obj.get(field)
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, int | float) and not isinstance(node, bool):
                values[figure] = float(node)
        values.update(fetch_insights(self.graph, remote_id, "facebook_post", {"period": "lifetime"}))
        return MetricSet(values, meta_graph.utcnow())
