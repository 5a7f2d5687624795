"""The connector reading real Mastodon 4.6 answers, replayed from recorded traffic (vcrpy, never re-recorded).

The recordings live outside the repository (../shared/data/recorded/mastodon); these tests skip where it
is absent, except in CI where they fail.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import vcr
import yaml

from parvis.networks import errors
from parvis.networks.mastodon.connector import MastodonConnector
from parvis.networks.types import Credentials, MediaFile, PostRequest

REPO = Path(__file__).resolve().parents[3]
RECORDED = REPO.parent / "shared" / "data" / "recorded" / "mastodon"
BASE = "http://localhost:3000"  # where the traffic was recorded; replayed, never contacted
ACCOUNT = "113386237145435520"

if not RECORDED.is_dir():
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"enregistrements Mastodon absents : {RECORDED}")
    pytest.skip(f"enregistrements Mastodon absents ({RECORDED})", allow_module_level=True)


def replay(*names: str, tmp_path: Path):
    """Replay one or more recordings (merged in order into a temporary cassette), method + path only."""
    interactions = []
    for name in names:
        interactions += yaml.safe_load((RECORDED / f"{name}.yaml").read_text(encoding="utf-8"))["interactions"]
    merged = tmp_path / "replay.yaml"
    merged.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), encoding="utf-8")
    return vcr.VCR(record_mode="none", match_on=["method", "path"]).use_cassette(str(merged))


def recorded_body(name: str, index: int) -> dict:
    interaction = yaml.safe_load((RECORDED / f"{name}.yaml").read_text(encoding="utf-8"))["interactions"][index]
    return json.loads(interaction["response"]["body"]["string"])


@pytest.fixture
def sent(monkeypatch):
    """What the connector actually sent: (method, path, headers), in order."""
    calls = []
    original = requests.Session.request

    def spy(self, method, url, *args, **kwargs):
        calls.append((method, urlsplit(url).path, dict(kwargs.get("headers") or {})))
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    return calls


@pytest.fixture
def connector(monkeypatch):
    monkeypatch.setenv("PARVIS_ALLOW_LOOPBACK_SERVERS", "1")
    monkeypatch.setattr("parvis.networks.mastodon.connector.MEDIA_POLL_S", (0.01,))
    return MastodonConnector(Credentials("mastodonpy_test", {"access_token": "t", "account_id": ACCOUNT}),
                             base_url=BASE, timeout=5.0)


def test_video_upload_waits_for_processing_then_posts(connector, tmp_path, sent):
    """POST /api/v2/media answers 202 with url null; the status is posted once GET /media/:id has a url."""
    video = tmp_path / "chat.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with replay("test_media_post[True]", tmp_path=tmp_path):
        posted = connector.publish(PostRequest(
            text="LOL check this out", marker="m-1",
            media=(MediaFile(str(video), "video", "video/mp4", "me when a cat"),)))
    assert posted.remote_id == "117020576440066974"
    assert posted.url == f"{BASE}/@mastodonpy_test/117020576440066974"
    assert [f"{method} {path}" for method, path, _ in sent] == [
        "POST /api/v2/media", "GET /api/v1/media/117020575776246986", "POST /api/v1/statuses"]
    assert sent[-1][2]["Idempotency-Key"] == "m-1"


def test_content_warning_and_visibility_status(connector, tmp_path):
    with replay("test_status_post[Content warning-unlisted]", tmp_path=tmp_path) as cassette:
        posted = connector.publish(PostRequest(text="Toot!", marker="m-2",
                                               options={"visibility": "unlisted", "spoiler_text": "Content warning"}))
    assert posted.remote_id == "117020585985737016"
    body = cassette.requests[0].body
    body = body.decode() if isinstance(body, bytes) else body
    assert "visibility=unlisted" in body and "spoiler_text=Content+warning" in body


def test_mentions_and_an_empty_context_read_as_comments(connector, tmp_path):
    with replay("test_notifications_mentions_only", "test_status_context", tmp_path=tmp_path):
        page = connector.fetch_comments(post_ids=("117020585487094447",))
    assert page.cursor == "21"
    assert len(page.comments) == 1
    mention = page.comments[0]
    assert mention.remote_id == "117020577157693549"
    assert mention.kind == "mention" and mention.post_remote_id == ""
    assert mention.author_handle == "admin"
    assert mention.text == "@mastodonpy_test hello!"
    assert mention.created_at == datetime(2026, 8, 1, 13, 51, 42, 823000, tzinfo=UTC)
    assert mention.url == f"{BASE}/@admin/117020577157693549"


def test_validation_error_keeps_the_servers_words(connector, tmp_path):
    with replay("test_lang_for_errors", tmp_path=tmp_path), pytest.raises(errors.ContentRejected) as caught:
        connector.publish(PostRequest(text="trop long", marker="m-3"))
    assert str(caught.value) == "バリデーションに失敗しました: Text上限は500文字です"


def test_idempotency_probe_on_an_unknown_key_creates_nothing(connector, tmp_path, sent):
    """An empty status is refused (422 "Text can't be blank"): the probe reads that as "key unknown"."""
    with replay("test_status_empty", tmp_path=tmp_path):
        assert connector._probe_idempotency_key("m-4") is None
    assert [(m, p, h["Idempotency-Key"]) for m, p, h in sent] == [("POST", "/api/v1/statuses", "m-4")]


def test_missing_status_is_a_permanent_not_found(connector, tmp_path):
    with replay("test_status_missing", tmp_path=tmp_path), pytest.raises(errors.Permanent) as caught:
        connector.post_metrics("0")
    assert caught.value.http_status == 404


def test_status_and_account_counts(connector, tmp_path):
    me = recorded_body("test_verify_credentials", 0)
    with replay("test_verify_credentials", tmp_path=tmp_path):
        figures = connector.account_metrics().values
    assert figures == {"followers": me["followers_count"], "following": me["following_count"],
                       "posts": me["statuses_count"]}
    with replay("test_status", tmp_path=tmp_path):
        status = connector.post_metrics("117020583223442465").values
    recorded = recorded_body("test_status", 1)
    expected = {"comments": recorded["replies_count"], "shares": recorded["reblogs_count"],
                "likes": recorded["favourites_count"]}
    if "quotes_count" in recorded:  # Mastodon 4.5+
        expected["quotes"] = recorded["quotes_count"]
    assert status == expected
