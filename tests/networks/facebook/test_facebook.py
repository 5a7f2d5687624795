"""Facebook Pages connector against the recorded Graph bodies, through the one HTTP seam."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from parvis.networks import errors
from parvis.networks.facebook.connector import FacebookConnector
from parvis.networks.meta import metrics
from parvis.networks.types import Credentials, MediaFile, PostRequest
from tests.networks.contract import ConnectorContract
from tests.networks.meta.fake_graph import FakeFacebook, error, install, journal  # noqa: F401

PAGE = FakeFacebook.page_id


@pytest.fixture
def fake(monkeypatch, journal):  # noqa: F811
    return install(FakeFacebook(), monkeypatch)


@pytest.fixture
def connector(fake):
    return FacebookConnector(Credentials("Ville de Test", {"page_id": PAGE, "access_token": "page-token"}))


class TestFacebookContract(ConnectorContract):
    pass


def test_text_and_link_post_goes_to_feed(connector, fake):
    posted = connector.publish(PostRequest(text="Conseil municipal ce soir", marker="m1",
                                           link="https://ville.example/conseil"))
    assert posted.remote_id.startswith(f"{PAGE}_")
    sent = fake.called("POST", f"{PAGE}/feed")[0]
    assert sent["message"] == "Conseil municipal ce soir" and sent["link"] == "https://ville.example/conseil"


def test_single_photo_uses_photos_and_returns_the_post_id(connector, fake):
    posted = connector.publish(PostRequest(text="Le marché", marker="m", media=(
        MediaFile("https://cdn.example/marche.jpg", "image", "image/jpeg", "Étals du marché"),)))
    sent = fake.called("POST", f"{PAGE}/photos")[0]
    assert sent["url"] == "https://cdn.example/marche.jpg" and sent["message"] == "Le marché"
    assert posted.remote_id in fake.posts  # the feed post, not the photo object


def test_multi_photo_uploads_unpublished_then_attaches(connector, fake):
    media = tuple(MediaFile(f"https://cdn.example/{i}.jpg", "image", "image/jpeg") for i in range(3))
    connector.publish(PostRequest(text="Trois vues", marker="m", media=media))
    uploads = fake.called("POST", f"{PAGE}/photos")
    assert [u["published"] for u in uploads] == ["false"] * 3
    feed = fake.called("POST", f"{PAGE}/feed")[0]
    assert sorted(k for k in feed if k.startswith("attached_media")) == [f"attached_media[{i}]" for i in range(3)]


def test_local_photo_is_uploaded_as_source(connector, fake, tmp_path):
    photo = tmp_path / "affiche.jpg"
    photo.write_bytes(b"\xff\xd8\xff fake jpeg")
    connector.publish(PostRequest(text="Affiche", marker="m", media=(MediaFile(str(photo), "image", "image/jpeg"),)))
    assert b"fake jpeg" in fake.called("POST", f"{PAGE}/photos")[0]["_multipart"]


def test_reel_start_upload_finish(connector, fake):
    posted = connector.publish(PostRequest(text="Reel", marker="m", options={"reel": True}, media=(
        MediaFile("https://cdn.example/r.mp4", "video", "video/mp4"),)))
    phases = [p.get("upload_phase") for p in fake.called("POST", f"{PAGE}/video_reels")]
    assert phases == ["start", "finish"]
    assert fake.called("POST", f"video-upload/{'v26.0'}/{posted.remote_id}")  # the upload went to rupload
    assert fake.called("POST", f"{PAGE}/video_reels")[1]["video_state"] == "PUBLISHED"


def test_feed_video_by_url(connector, fake):
    connector.publish(PostRequest(text="Vidéo", marker="m", media=(
        MediaFile("https://cdn.example/v.mp4", "video", "video/mp4"),)))
    assert fake.called("POST", f"{PAGE}/videos")[0]["file_url"] == "https://cdn.example/v.mp4"


def test_native_schedule_sends_unpublished_with_time(connector, fake):
    when = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    connector.publish(PostRequest(text="Noël", marker="m", options={"scheduled_publish_time": when}))
    sent = fake.called("POST", f"{PAGE}/feed")[0]
    assert sent["published"] == "false" and sent["scheduled_publish_time"] == str(int(when.timestamp()))


def test_timeout_after_sending_is_outcome_unknown_and_lookup_finds_the_post(connector, fake, journal):  # noqa: F811
    def accept_then_time_out(request):
        fake.handle(request)  # the post is created...
        raise httpx.ReadTimeout("lost answer", request=request)  # ...but the answer never comes

    client = httpx.Client(transport=httpx.MockTransport(accept_then_time_out))
    from parvis.networks.meta import graph
    original = graph.client_factory
    graph.client_factory = lambda: client
    try:
        with pytest.raises(errors.OutcomeUnknown):
            connector.publish(PostRequest(text="Fête de la musique\r\n", marker="lost"))
    finally:
        graph.client_factory = original
    found = connector.find_by_marker("lost")
    assert found is not None and found.remote_id in fake.posts
    assert fake.posts[found.remote_id]["message"] == "Fête de la musique\r\n"


def test_lookup_ignores_same_text_outside_window_and_posts_claimed_by_another_marker(connector, fake):
    old = fake.now
    fake.now = lambda: old() - timedelta(hours=5)  # an old post with the same text
    connector.publish(PostRequest(text="Rappel collecte", marker="earlier"))
    fake.now = old
    first = connector.publish(PostRequest(text="Rappel collecte", marker="a"))
    second_id = fake._new_post("Rappel collecte")  # sent under marker b, answer lost
    from parvis.networks.meta import markers
    markers.journal.remember(connector.journal_key, "b", "Rappel collecte", datetime.now(UTC))
    assert connector.find_by_marker("b").remote_id == second_id  # not the one marker a already owns
    assert connector.find_by_marker("a").remote_id == first.remote_id


def test_lookup_with_text_and_instant_from_the_ledger(connector, fake):
    post_id = fake._new_post("Publié par une autre machine")
    found = connector.find_by_marker("elsewhere", text="Publié par une autre machine",
                                     sent_at=datetime.now(UTC))
    assert found.remote_id == post_id


def test_comments_follow_paging_cursors_and_derive_ids_from_permalinks(connector, fake):
    post = "19292868552_10158407654328553"
    page = connector.fetch_comments(post_ids=(post,))
    assert len(page.comments) == 15  # 10 on the first recorded page + 5 after the `after` cursor
    assert [c["after"] for c in fake.called("GET", f"{post}/comments") if "after" in c] == ["after"]
    reply = next(c for c in page.comments if c.remote_id == "10158407654328553_10158409983033553")
    assert reply.kind == "reply" and reply.parent_remote_id == "10158407654328553_10158407903973553"
    assert all(c.created_at.tzinfo for c in page.comments)
    assert page.cursor == max(c.created_at for c in page.comments).isoformat()
    again = connector.fetch_comments(cursor=page.cursor, post_ids=(post,))
    assert again.comments == () and again.cursor == page.cursor


def test_reply_hide_unhide_delete_comment(connector, fake):
    answer = connector.reply("245778718206154", "Merci !", marker="r")
    assert answer.remote_id == "245778718206154_229887283291835"  # the recorded answer
    connector.hide_comment("c1")
    assert fake.hidden["c1"] is True
    connector.hide_comment("c1", hidden=False)
    assert fake.hidden["c1"] is False
    fake.posts["c2"] = {}
    connector.delete_comment("c2")
    connector.delete_comment("c2")  # already gone: fine


def test_page_metrics_are_mapped_and_missing_ones_stay_absent(connector):
    values = connector.account_metrics().values
    assert values["follows"] == 1520 and values["views"] == 20480 and values["engagements"] == 312
    assert values["likes"] == 214507731  # fan_count of the recorded page
    assert "reach" not in values and "followers" not in values  # not returned: absent, never zero


def test_post_metrics_read_fields_and_sum_reactions_by_type(connector):
    values = connector.post_metrics(f"{PAGE}_1").values
    assert values["reactions"] == 43 and values["views"] == 880
    assert values["comments"] == 0  # a real zero from the recorded summary
    assert "shares" not in values


def test_removed_metric_is_dropped_and_the_rest_kept(connector, fake, monkeypatch):
    monkeypatch.setattr(metrics, "_invalid", set())
    fake.inject[("GET", f"{PAGE}/insights")] = error(400, 100, "(#100) The value must be a valid insights metric")
    original = fake.route

    def refuse_removed(method, path, params, form, request):
        if path.endswith("/insights") and "page_video_views" in params["metric"].split(","):
            return error(400, 100, "(#100) The value must be a valid insights metric")
        return original(method, path, params, form, request)

    fake.route = refuse_removed
    values = connector.account_metrics().values
    assert values["follows"] == 1520 and "video_views" not in values
    assert ("facebook_page", "page_video_views") in metrics._invalid


def test_metric_names_can_be_overridden_without_code(connector, monkeypatch):
    monkeypatch.setenv("PARVIS_META_METRICS", '{"facebook_page": {"views": ["page_post_engagements"]}}')
    assert connector.account_metrics().values["views"] == 312


def test_graph_version_is_configurable(fake, monkeypatch):
    monkeypatch.setenv("PARVIS_META_GRAPH_VERSION", "v25.0")
    c = FacebookConnector(Credentials("p", {"page_id": PAGE, "access_token": "t"}))
    assert c.graph.url("x") == "https://graph.facebook.com/v25.0/x"
    c = FacebookConnector(Credentials("p", {"page_id": PAGE, "access_token": "t", "graph_version": "24.0"}))
    assert c.graph.url("x").endswith("/v24.0/x")


def test_app_secret_adds_appsecret_proof(fake, journal):  # noqa: F811
    import hashlib
    import hmac
    c = FacebookConnector(Credentials("p", {"page_id": PAGE, "access_token": "tok", "app_secret": "s3cr3t"}))
    c.find_by_marker("nothing")
    c.fetch_comments(post_ids=("1_2",))
    proof = fake.called("GET", "1_2/comments")[0]["appsecret_proof"]
    assert proof == hmac.new(b"s3cr3t", b"tok", hashlib.sha256).hexdigest()


def test_recorded_permission_error_is_permanent_with_metas_words(connector, fake):
    from tests.networks.meta.fake_graph import recorded
    fake.inject[("POST", f"{PAGE}/feed")] = httpx.Response(400, json=recorded("error.json"))
    with pytest.raises(errors.Permanent, match="app secret proof"):
        connector.publish(PostRequest(text="x", marker="m"))


def test_token_expired_on_publish_is_auth_expired(connector, fake):
    fake.inject[("POST", f"{PAGE}/feed")] = error(400, 190, "Error validating access token", subcode=463)
    with pytest.raises(errors.AuthExpired):
        connector.publish(PostRequest(text="x", marker="m"))


def test_connection_refused_before_sending_is_transient(connector, fake):
    fake.inject[("POST", f"{PAGE}/feed")] = httpx.ConnectError("refused")
    with pytest.raises(errors.Transient):
        connector.publish(PostRequest(text="x", marker="m"))


def test_missing_page_id_asks_to_reconnect(fake):
    with pytest.raises(errors.AuthExpired, match="page_id"):
        FacebookConnector(Credentials("p", {"access_token": "t"})).publish(PostRequest(text="x", marker="m"))
