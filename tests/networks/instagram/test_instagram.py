"""Instagram connector against the recorded Graph bodies: containers, status polling, publishing limit."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from parvis.networks import errors
from parvis.networks.instagram.connector import InstagramConnector
from parvis.networks.types import Credentials, MediaFile, PostRequest, PostResult
from tests.networks.contract import ConnectorContract
from tests.networks.meta.fake_graph import FakeInstagram, error, graph_time, install, journal  # noqa: F401

IG = FakeInstagram.ig_id
PHOTO = MediaFile("https://medias.ville.example/marche.jpg", "image", "image/jpeg", "Le marché couvert")
VIDEO = MediaFile("https://medias.ville.example/reel.mp4", "video", "video/mp4")


@pytest.fixture
def fake(monkeypatch, journal):  # noqa: F811
    return install(FakeInstagram(), monkeypatch)


@pytest.fixture
def connector(fake):
    c = InstagramConnector(Credentials("villedetest", {"ig_user_id": IG, "access_token": "token"}))
    c.sleeps = []
    c.sleep = c.sleeps.append  # no real waiting; the clock moves by what was slept
    c.monotonic = lambda: sum(c.sleeps)
    return c


class TestInstagramContract(ConnectorContract):
    def test_publish_then_find_by_marker_then_delete(self, connector):
        # Instagram has no text-only post: the contract's post carries one photo here.
        marker = str(uuid.uuid4())
        posted = connector.publish(PostRequest(text=self.make_text(), marker=marker, media=(PHOTO,)))
        assert isinstance(posted, PostResult) and posted.remote_id
        found = connector.find_by_marker(marker)
        assert found is not None and found.remote_id == posted.remote_id
        assert not connector.supports("delete")  # no API to delete a published Instagram media


def test_image_container_then_publish_with_recorded_ids(connector, fake):
    posted = connector.publish(PostRequest(text="Marché de Noël #noel", marker="m", media=(PHOTO,)))
    created = fake.called("POST", f"{IG}/media")[0]
    assert created["image_url"] == PHOTO.path and created["alt_text"] == "Le marché couvert"
    assert created["caption"] == "Marché de Noël #noel"
    assert fake.called("POST", f"{IG}/media_publish")[0]["creation_id"] == "17889455560051444"  # recorded
    assert posted.remote_id == "17920238422030506"  # recorded media_publish answer
    assert posted.url == "https://www.instagram.com/p/17920238422030506/"


def test_container_in_progress_then_finished_then_publish(connector, fake):
    fake.next_status = ["IN_PROGRESS", "IN_PROGRESS"]
    connector.publish(PostRequest(text="Reel", marker="m", media=(VIDEO,)))
    container = fake.called("POST", f"{IG}/media")[0]
    assert container["media_type"] == "REELS" and container["share_to_feed"] == "true"
    assert len(fake.called("GET", "17889455560051444")) == 3  # two IN_PROGRESS, then FINISHED
    assert connector.sleeps == [1.0, 2.0]  # backing off between polls
    assert fake.called("POST", f"{IG}/media_publish")


def test_container_error_is_content_rejected_and_nothing_published(connector, fake):
    fake.next_status = ["IN_PROGRESS", "ERROR"]
    with pytest.raises(errors.ContentRejected, match="2207026"):
        connector.publish(PostRequest(text="x", marker="m", media=(VIDEO,)))
    assert not fake.called("POST", f"{IG}/media_publish")


def test_container_never_ready_stops_at_the_deadline_as_transient(connector, fake):
    connector.container_deadline_s = 10
    fake.next_status = ["IN_PROGRESS"] * 50
    with pytest.raises(errors.Transient, match="rien n'a été publié"):
        connector.publish(PostRequest(text="x", marker="m", media=(VIDEO,)))
    assert sum(connector.sleeps) <= 10
    assert not fake.called("POST", f"{IG}/media_publish")


def test_carousel_children_then_parent(connector, fake):
    connector.publish(PostRequest(text="Album", marker="m", media=(PHOTO, VIDEO, PHOTO)))
    created = fake.called("POST", f"{IG}/media")
    assert [c.get("is_carousel_item") for c in created[:3]] == ["true"] * 3
    assert created[1]["media_type"] == "VIDEO"
    parent = created[3]
    assert parent["media_type"] == "CAROUSEL" and parent["caption"] == "Album"
    assert parent["children"] == "17889455560051444,17889455560051447,1000"


def test_story_has_no_caption(connector, fake):
    connector.publish(PostRequest(text="ignored", marker="m", media=(PHOTO,), options={"story": True}))
    created = fake.called("POST", f"{IG}/media")[0]
    assert created["media_type"] == "STORIES" and "caption" not in created


def test_publishing_limit_is_read_before_anything_is_created(connector, fake):
    now = datetime.now(UTC)
    fake.limit = {"data": [{"config": {"quota_total": 25, "quota_duration": 86400}, "quota_usage": 25}]}
    fake.media = {str(i): {"id": str(i), "timestamp": graph_time(now - timedelta(hours=23 - i % 20))}
                  for i in range(25)}
    oldest = min(datetime.fromisoformat(m["timestamp"].replace("+0000", "+00:00")) for m in fake.media.values())
    with pytest.raises(errors.RateLimited) as caught:
        connector.publish(PostRequest(text="x", marker="m", media=(PHOTO,)))
    assert caught.value.retry_at == oldest + timedelta(days=1)  # when the oldest post leaves the window
    assert 0 < caught.value.retry_after_s <= 4 * 3600
    assert not fake.called("POST", f"{IG}/media")


def test_recorded_limit_with_room_lets_publishing_go(connector, fake):
    connector.publish(PostRequest(text="x", marker="m", media=(PHOTO,)))
    assert fake.called("GET", f"{IG}/content_publishing_limit")[0]["fields"] == "quota_usage,config"


def test_quota_error_on_publish_is_rate_limited(connector, fake):
    fake.inject[("POST", f"{IG}/media_publish")] = error(400, 9, "Application request limit reached",
                                                        subcode=2207042)
    with pytest.raises(errors.RateLimited):
        connector.publish(PostRequest(text="x", marker="m", media=(PHOTO,)))


def test_publish_timeout_is_outcome_unknown_and_the_lookup_finds_it(connector, fake, monkeypatch):
    def accept_then_time_out(request):
        response = fake.handle(request)
        if request.url.path.endswith("/media_publish"):
            raise httpx.ReadTimeout("lost", request=request)
        return response

    from parvis.networks.meta import graph
    client = httpx.Client(transport=httpx.MockTransport(accept_then_time_out))
    monkeypatch.setattr(graph, "client_factory", lambda: client)
    with pytest.raises(errors.OutcomeUnknown):
        connector.publish(PostRequest(text="Concert gratuit samedi", marker="lost", media=(PHOTO,)))
    assert connector.find_by_marker("lost").remote_id == "17920238422030506"


def test_local_file_without_public_base_url_is_rejected_in_french(connector, fake, tmp_path, monkeypatch):
    monkeypatch.delenv("PARVIS_PUBLIC_MEDIA_URL", raising=False)
    local = MediaFile(str(tmp_path / "affiche.jpg"), "image", "image/jpeg")
    with pytest.raises(errors.ContentRejected, match="adresse publique") as caught:
        connector.publish(PostRequest(text="x", marker="m", media=(local,)))
    assert "affiche.jpg" in str(caught.value)
    assert not fake.calls  # refused before any call


def test_local_file_under_media_root_gets_a_public_url(fake, monkeypatch, tmp_path):
    root = tmp_path / "media"
    (root / "2026").mkdir(parents=True)
    c = InstagramConnector(Credentials("v", {"ig_user_id": IG, "access_token": "t", "media_root": str(root),
                                             "public_media_base_url": "https://medias.ville.example/m/"}))
    url = c.public_url(MediaFile(str(root / "2026" / "fête.jpg"), "image", "image/jpeg"))
    assert url == "https://medias.ville.example/m/2026/f%C3%AAte.jpg"


def test_text_only_post_is_rejected(connector, fake):
    with pytest.raises(errors.ContentRejected, match="sans photo ni vidéo"):
        connector.publish(PostRequest(text="x", marker="m"))


def test_comments_paging_and_cursor(connector, fake):
    media = "17846368219941692"
    page = connector.fetch_comments(post_ids=(media,))
    assert [c.remote_id for c in page.comments] == [
        "17858154961981086", "17874875428706419", "17892250648466172", "17914413430382429"]
    assert page.comments[2].text == "@ikroskun  Hey, guys" and page.comments[0].post_remote_id == media
    assert page.cursor == datetime(2020, 6, 1, 10, 56, 52, tzinfo=UTC).isoformat()
    again = connector.fetch_comments(cursor=page.cursor, post_ids=(media,))
    assert again.comments == ()


def test_comments_of_recent_media_when_none_named(connector, fake):
    connector.fetch_comments()
    assert {p for m, p, _ in fake.calls if p.endswith("/comments")} == {
        "17895731045244887/comments", "17896622936197745/comments"}  # the recorded media list


def test_reply_hide_delete(connector, fake):
    assert connector.reply("17858154961981086", "Merci !", marker="r").remote_id
    assert fake.called("POST", "17858154961981086/replies")[0]["message"] == "Merci !"
    connector.hide_comment("17858154961981086")
    assert fake.hidden["17858154961981086"] is True
    connector.hide_comment("17858154961981086", hidden=False)
    assert fake.hidden["17858154961981086"] is False
    connector.delete_comment("17858154961981086")
    assert fake.called("DELETE", "17858154961981086")


def test_first_comment_goes_on_the_media(connector, fake):
    posted = connector.publish(PostRequest(text="x", marker="m", media=(PHOTO,), first_comment="#ville"))
    assert fake.called("POST", f"{posted.remote_id}/comments")[0]["message"] == "#ville"


def test_media_metrics_from_recorded_insights(connector):
    values = connector.post_metrics("17895731045244887").values
    assert values["reach"] == 5 and values["saved"] == 0  # a real zero stays
    assert values["likes"] == 0 and values["comments"] == 0
    assert "views" not in values and "shares" not in values  # not returned: absent, never zero
    assert "impressions" not in values  # a removed metric in old data is not mapped


def test_account_metrics_from_recorded_total_value(connector):
    values = connector.account_metrics().values
    assert values == {"followers": 64363, "posts": 427, "reach": 14516883}


def test_instagram_login_uses_its_own_host(fake):
    c = InstagramConnector(Credentials("v", {"ig_user_id": IG, "access_token": "t", "login": "instagram"}))
    assert c.graph.url("me").startswith("https://graph.instagram.com/v26.0/")
