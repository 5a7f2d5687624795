"""A stateful fake Graph API answering with the REAL recorded Graph response bodies (../shared/data).

Served through the connectors' one HTTP seam (`parvis.networks.meta.graph.client_factory`) by an
httpx.MockTransport. It keeps state for what the connector creates (posts, containers, media) so that
publish → find_by_marker → delete works; everything it reads back comes from the recorded files.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

RECORDED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "recorded" / "facebook"
VERSION = "v26.0"


def recorded(relative: str):
    path = RECORDED / relative
    if not path.exists():
        message = f"données enregistrées absentes : {path} (../shared/data/recorded/facebook)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(path.read_text(encoding="utf-8"))


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def error(status: int, code: int, message: str, *, subcode: int | None = None, user_msg: str = "",
          headers: dict | None = None) -> httpx.Response:
    body = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AQt_fake"}
    if subcode is not None:
        body["error_subcode"] = subcode
    if user_msg:
        body["error_user_msg"] = user_msg
    return httpx.Response(status, json={"error": body}, headers=headers or {})


class FakeGraph:
    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []
        self.inject: dict[tuple[str, str], httpx.Response | Exception] = {}  # (method, path) → answer
        self.ids = itertools.count(1000)
        self.now = lambda: datetime.now(UTC)

    def client(self) -> httpx.Client:
        from parvis.networks.http import make_client
        return make_client(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = urlsplit(str(request.url))
        path = parts.path
        prefix = f"/{VERSION}/"
        if request.url.host == "rupload.facebook.com":
            params = dict(parse_qsl(parts.query))
        else:
            assert path.startswith(prefix), f"version de Graph inattendue : {path}"
            path = path[len(prefix):]
            params = dict(parse_qsl(parts.query))
        form = {}
        ctype = request.headers.get("content-type", "")
        if "x-www-form-urlencoded" in ctype:
            form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        elif "multipart" in ctype:
            form = {"_multipart": request.content}
        assert request.headers.get("authorization", "").startswith("OAuth "), "jeton absent"
        self.calls.append((request.method, path, {**params, **form}))
        injected = self.inject.pop((request.method, path), None)
        if isinstance(injected, Exception):
            raise injected
        if injected is not None:
            return injected
        return self.route(request.method, path, params, form, request)

    def route(self, method, path, params, form, request) -> httpx.Response:  # pragma: no cover — overridden
        raise NotImplementedError

    def called(self, method: str, suffix: str) -> list[dict]:
        return [p for m, path, p in self.calls if m == method and path.endswith(suffix)]


class FakeFacebook(FakeGraph):
    page_id = "245628824887810"

    def __init__(self):
        super().__init__()
        feed = recorded("facebook/apidata/posts/feed_fields_p1.json")
        self.posts: dict[str, dict] = {p["id"]: dict(p) for p in feed["data"]}
        self.hidden: dict[str, bool] = {}

    def _new_post(self, message: str) -> str:
        post_id = f"{self.page_id}_{next(self.ids)}"
        self.posts[post_id] = {"id": post_id, "message": message, "created_time": graph_time(self.now())}
        return post_id

    def route(self, method, path, params, form, request):
        page = self.page_id
        if method == "GET" and path == f"{page}/published_posts":
            posts = sorted(self.posts.values(), key=lambda p: p["created_time"], reverse=True)
            return httpx.Response(200, json={"data": [
                {**p, "permalink_url": f"https://www.facebook.com/{p['id']}"} for p in posts]})
        if method == "POST" and path == f"{page}/feed":
            return httpx.Response(200, json={"id": self._new_post(form.get("message", ""))})
        if method == "POST" and path == f"{page}/photos":
            photo = str(next(self.ids))
            if form.get("published") == "false":
                return httpx.Response(200, json={"id": photo})
            return httpx.Response(200, json={"id": photo, "post_id": self._new_post(form.get("message", ""))})
        if method == "POST" and path == f"{page}/videos":
            video = str(next(self.ids))
            self.posts[video] = {"id": video, "message": form.get("description", ""),
                                 "created_time": graph_time(self.now())}
            return httpx.Response(200, json={"id": video})
        if method == "POST" and path == f"{page}/video_reels":
            if form.get("upload_phase") == "start":
                video = str(next(self.ids))
                return httpx.Response(200, json={
                    "video_id": video, "upload_url": f"https://rupload.facebook.com/video-upload/{VERSION}/{video}"})
            self.posts[form["video_id"]] = {"id": form["video_id"], "message": form.get("description", ""),
                                            "created_time": graph_time(self.now())}
            return httpx.Response(200, json={"success": True})
        if method == "POST" and request.url.host == "rupload.facebook.com":
            return httpx.Response(200, json={"success": True})
        if method == "DELETE":
            if path in self.posts:
                del self.posts[path]
                return httpx.Response(200, json={"success": True})
            return error(400, 100, "(#100) Object does not exist", subcode=33)
        if method == "GET" and path.endswith("/comments"):
            name = "comments_p2" if params.get("after") == "after" else "comments_p1"
            return httpx.Response(200, json=recorded(f"facebook/apidata/comments/{name}.json"))
        if method == "POST" and path.endswith("/comments"):
            return httpx.Response(200, json=recorded("facebook/apidata/comments/create_resp.json"))
        if method == "POST" and "is_hidden" in form:
            self.hidden[path] = form["is_hidden"] == "true"
            return httpx.Response(200, json={"success": True})
        if method == "GET" and path == page:
            return httpx.Response(200, json=recorded("facebook/apidata/pages/single_fields_page.json"))
        if method == "GET" and path.endswith("/insights"):
            return httpx.Response(200, json=self.insights(params["metric"].split(",")))
        if method == "GET" and "_" in path and "/" not in path:
            return httpx.Response(200, json=recorded("facebook/apidata/posts/single_post_data.json"))
        return error(400, 100, f"(#100) Unsupported request: {method} {path}")

    # No Facebook insights body is recorded: these follow the recorded Instagram insights shape
    # (name/period/values), which is the same Graph insights object.
    insight_values = {"page_follows": 1520, "page_media_view": 20480, "page_post_engagements": 312,
                      "post_media_view": 880, "post_reactions_by_type_total": {"like": 40, "love": 3}}

    def insights(self, names: list[str]) -> dict:
        return {"data": [
            {"name": n, "period": "day", "values": [{"value": 1, "end_time": "2026-11-01T08:00:00+0000"},
                                                    {"value": self.insight_values[n],
                                                     "end_time": "2026-11-02T08:00:00+0000"}],
             "title": n, "id": f"{self.page_id}/insights/{n}/day"}
            for n in names if n in self.insight_values
        ]}


class FakeInstagram(FakeGraph):
    ig_id = "17841406338772941"

    def __init__(self):
        super().__init__()
        self.media: dict[str, dict] = {m["id"]: dict(m) for m in recorded("instagram/apidata/users/medias_p1.json")["data"]}
        self.containers: dict[str, dict] = {}
        self.statuses: dict[str, list[str]] = {}  # container id → status codes still to give, then FINISHED
        self.next_status: list[str] = []  # given to the next container created
        self.limit = recorded("instagram/apidata/users/content_publish_limit.json")
        self.first_ids = iter([recorded("instagram/apidata/publish/create_photo.json")["id"],
                               recorded("instagram/apidata/publish/create_video.json")["id"]])
        self.published_id = iter([recorded("instagram/apidata/publish/publish_container.json")["id"]])
        self.hidden: dict[str, bool] = {}

    def route(self, method, path, params, form, request):
        ig = self.ig_id
        if method == "GET" and path == f"{ig}/content_publishing_limit":
            return httpx.Response(200, json=self.limit)
        if method == "POST" and path == f"{ig}/media":
            container = next(self.first_ids, None) or str(next(self.ids))
            self.containers[container] = form
            self.statuses[container], self.next_status = list(self.next_status), []
            return httpx.Response(200, json={"id": container})
        if method == "GET" and path in self.containers:
            body = dict(recorded("instagram/apidata/publish/container_info.json"), id=path)
            queue = self.statuses[path]
            code = queue.pop(0) if queue else "FINISHED"
            if code != "FINISHED":
                body["status_code"] = code
                body["status"] = "Error: Media upload has failed with error code 2207026" if code == "ERROR" \
                    else "In Progress: Media is still being processed."
            return httpx.Response(200, json=body)
        if method == "POST" and path == f"{ig}/media_publish":
            container = self.containers[form["creation_id"]]
            media_id = next(self.published_id, None) or str(next(self.ids))
            self.media[media_id] = {"id": media_id, "caption": container.get("caption", ""),
                                    "timestamp": graph_time(self.now()),
                                    "permalink": f"https://www.instagram.com/p/{media_id}/"}
            return httpx.Response(200, json={"id": media_id})
        if method == "GET" and path == f"{ig}/media":
            items = sorted(self.media.values(), key=lambda m: m["timestamp"], reverse=True)
            return httpx.Response(200, json={"data": items})
        if method == "GET" and path.endswith("/comments"):
            name = "comments_p2" if params.get("after") == "after" else "comments_p1"
            return httpx.Response(200, json=recorded(f"instagram/apidata/medias/{name}.json"))
        if method == "POST" and path.endswith(("/replies", "/comments")):
            return httpx.Response(200, json={"id": str(next(self.ids))})
        if method == "POST" and "hide" in form:
            self.hidden[path] = form["hide"] == "true"
            return httpx.Response(200, json={"success": True})
        if method == "DELETE":
            return httpx.Response(200, json={"success": True})
        if method == "GET" and path == ig:
            return httpx.Response(200, json=recorded("instagram/apidata/users/user_fields.json"))
        if method == "GET" and path == f"{ig}/insights":
            return httpx.Response(200, json=recorded("instagram/apidata/users/user_insights_new.json"))
        if method == "GET" and path.endswith("/insights"):
            return httpx.Response(200, json=recorded("instagram/apidata/medias/insights.json"))
        if method == "GET" and path in self.media:
            return httpx.Response(200, json=copy.deepcopy(self.media[path]))
        return error(400, 100, f"(#100) Unsupported request: {method} {path}")


@pytest.fixture
def journal(tmp_path, monkeypatch):
    from parvis.networks.meta import markers
    store = markers.SqliteJournal(tmp_path / "markers.sqlite3")
    monkeypatch.setattr(markers, "journal", store)
    return store


def install(fake: FakeGraph, monkeypatch) -> FakeGraph:
    from parvis.networks.meta import graph
    client = fake.client()
    monkeypatch.setattr(graph, "client_factory", lambda: client)
    return fake
