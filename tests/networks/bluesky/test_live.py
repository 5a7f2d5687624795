"""The Bluesky connector against a real local Bluesky network (PDS + AppView), started by conftest.py."""

import io
import uuid

import httpx
import pytest
from PIL import Image

from parvis.networks import errors
from parvis.networks.bluesky.connector import BlueskyConnector, rkey_for
from parvis.networks.types import Credentials, MediaFile, PostRequest
from tests.networks.contract import ConnectorContract

from .conftest import poll


def make_connector(network, account, **data) -> BlueskyConnector:
    creds = Credentials(account["handle"], {"app_password": account["password"], **data})
    return BlueskyConnector(creds, base_url=network.pds, timeout=10.0, allow_loopback=True)


def post_view(connector, uri) -> dict | None:
    posts = connector._call("GET", "app.bsky.feed.getPosts", params={"uris": [uri]}).get("posts")
    return posts[0] if posts else None


class TestBlueskyContract(ConnectorContract):
    @pytest.fixture
    def connector(self, bsky_network, town):
        return make_connector(bsky_network, town)


def test_session_is_kept_and_renewed_without_logging_in_again(bsky_network, town):
    first = make_connector(bsky_network, town)
    first.account_metrics()
    stored = first.updated_credentials
    assert stored["did"] == town["did"] and stored["access_jwt"] and stored["refresh_jwt"]
    # a wrong password proves the stored session is used: no login
    reused = make_connector(bsky_network, town, **{**stored, "app_password": "faux"})
    assert reused.find_by_marker(str(uuid.uuid4())) is None
    assert reused.updated_credentials is None
    # an unusable access token is renewed with the refresh token, still without the password
    broken = make_connector(bsky_network, town, **{**stored, "app_password": "faux", "access_jwt": "abc.def.ghi"})
    broken.account_metrics()
    renewed = broken.updated_credentials
    assert renewed["access_jwt"] != "abc.def.ghi" and renewed["app_password"] == "faux"
    assert make_connector(bsky_network, town, **stored).refresh_credentials()["access_jwt"]


def test_revoked_password_without_session_is_auth_expired(bsky_network, town):
    connector = make_connector(bsky_network, {**town, "password": "révoqué"})
    with pytest.raises(errors.AuthExpired):
        connector.account_metrics()


def test_publish_with_facets_and_image_read_back(bsky_network, town, citizen, tmp_path):
    connector = make_connector(bsky_network, town)
    image = tmp_path / "marche.png"
    Image.new("RGB", (120, 80), (200, 30, 30)).save(image)
    text = (f"Fête à Arlès 🎉🇫🇷 : https://arles.fr/fête #Noël avec @{citizen['handle']} "
            "et @inconnu.bsky.social")
    marker = str(uuid.uuid4())
    posted = connector.publish(PostRequest(text=text, marker=marker, media=(
        MediaFile(str(image), "image", "image/png", alt_text="Étals du marché de Noël"),)))
    assert posted.remote_id.endswith(f"/app.bsky.feed.post/{rkey_for(marker)}")
    assert posted.url == f"https://bsky.app/profile/{town['handle']}/post/{rkey_for(marker)}"

    view = poll(lambda: post_view(connector, posted.remote_id), lambda v: v is not None)
    record = view["record"]
    raw = record["text"].encode("utf-8")
    covered = {raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(): f["features"][0]
               for f in record["facets"]}
    assert covered == {
        "https://arles.fr/fête": {"$type": "app.bsky.richtext.facet#link", "uri": "https://arles.fr/fête"},
        "#Noël": {"$type": "app.bsky.richtext.facet#tag", "tag": "Noël"},
        f"@{citizen['handle']}": {"$type": "app.bsky.richtext.facet#mention", "did": citizen["did"]},
    }
    images = view["embed"]["images"]
    assert [i["alt"] for i in images] == ["Étals du marché de Noël"]
    assert images[0]["aspectRatio"] == {"width": 120, "height": 80}


def test_link_card_and_too_heavy_image(bsky_network, town, tmp_path):
    connector = make_connector(bsky_network, town)
    posted = connector.publish(PostRequest(text="Le programme", marker=str(uuid.uuid4()), link="https://ville.fr/p",
                                           options={"link_title": "Programme des fêtes"}))
    view = poll(lambda: post_view(connector, posted.remote_id), lambda v: v is not None)
    assert view["embed"]["external"]["uri"] == "https://ville.fr/p"
    assert view["embed"]["external"]["title"] == "Programme des fêtes"
    heavy = tmp_path / "lourde.png"
    heavy.write_bytes(b"\x89PNG" + b"\0" * 2_000_001)
    with pytest.raises(errors.ContentRejected, match="2000000"):
        connector.publish(PostRequest(text="x", marker=str(uuid.uuid4()),
                                      media=(MediaFile(str(heavy), "image", "image/png"),)))


def test_text_over_the_limit_is_rejected_with_the_networks_words(bsky_network, town):
    connector = make_connector(bsky_network, town)
    with pytest.raises(errors.ContentRejected) as caught:
        connector.publish(PostRequest(text="é" * 301, marker=str(uuid.uuid4())))
    assert "300" in str(caught.value) or "grapheme" in str(caught.value).lower()


def test_same_marker_twice_is_one_post_and_a_duplicate(bsky_network, town):
    connector = make_connector(bsky_network, town)
    marker = str(uuid.uuid4())
    request = PostRequest(text="Conseil municipal jeudi", marker=marker, thread=("Ordre du jour 1/2", "2/2"))
    posted = connector.publish(request)
    with pytest.raises(errors.Duplicate) as caught:
        connector.publish(request)
    assert caught.value.remote_id == posted.remote_id and caught.value.url == posted.url
    mine = [r for r in bsky_network.records(town["did"])
            if r["value"]["text"] in {"Conseil municipal jeudi", "Ordre du jour 1/2", "2/2"}]
    assert len(mine) == 3
    parts = {r["value"]["text"]: r["value"].get("reply") for r in mine}
    assert parts["Ordre du jour 1/2"]["parent"]["uri"] == posted.remote_id
    assert parts["2/2"]["root"]["uri"] == posted.remote_id
    assert parts["2/2"]["parent"]["uri"] != posted.remote_id


def test_conversation_hide_and_figures(bsky_network, town, citizen):
    ours = make_connector(bsky_network, town)
    theirs = make_connector(bsky_network, citizen)
    start = ours.fetch_comments().cursor
    posted = ours.publish(PostRequest(text="Que pensez-vous du nouveau marché ?", marker=str(uuid.uuid4())))
    poll(lambda: post_view(theirs, posted.remote_id), lambda v: v is not None)
    answer = theirs.reply(posted.remote_id, "Très bien, merci ! 👍", marker=str(uuid.uuid4()))
    mention = theirs.publish(PostRequest(text=f"Bravo @{town['handle']}", marker=str(uuid.uuid4())))

    page = poll(lambda: ours.fetch_comments(cursor=start), lambda p: len(p.comments) >= 2)
    by_id = {c.remote_id: c for c in page.comments}
    comment = by_id[answer.remote_id]
    assert (comment.kind, comment.post_remote_id, comment.parent_remote_id) == ("comment", posted.remote_id, "")
    assert comment.text == "Très bien, merci ! 👍" and comment.author_handle == citizen["handle"]
    assert comment.author_id == citizen["did"] and comment.created_at.tzinfo is not None
    assert by_id[mention.remote_id].kind == "mention" and by_id[mention.remote_id].post_remote_id == ""
    assert ours.fetch_comments(cursor=page.cursor).comments == ()  # the cursor moves past what was read

    # our answer to the comment is in the same thread; their answer to it is a reply to a comment
    ours.reply(answer.remote_id, "Merci à vous.", marker=str(uuid.uuid4()))
    deeper = theirs.reply(answer.remote_id, "Et le parking ?", marker=str(uuid.uuid4()))
    later = poll(lambda: ours.fetch_comments(cursor=page.cursor), lambda p: len(p.comments) >= 1)
    assert [(c.kind, c.parent_remote_id, c.post_remote_id) for c in later.comments] == [
        ("reply", answer.remote_id, posted.remote_id)]
    assert deeper.remote_id == later.comments[0].remote_id

    ours.hide_comment(answer.remote_id)  # finds the root post itself
    gate = bsky_network.records(town["did"], "app.bsky.feed.threadgate")
    gate = next(g["value"] for g in gate if g["value"]["post"] == posted.remote_id)
    assert gate["hiddenReplies"] == [answer.remote_id] and "allow" not in gate
    ours.hide_comment(deeper.remote_id, post_remote_id=posted.remote_id)
    ours.hide_comment(answer.remote_id, hidden=False, post_remote_id=posted.remote_id)
    gate = next(g["value"] for g in bsky_network.records(town["did"], "app.bsky.feed.threadgate")
                if g["value"]["post"] == posted.remote_id)
    assert gate["hiddenReplies"] == [deeper.remote_id]
    with pytest.raises(errors.Permanent):
        ours.hide_comment(mention.remote_id, post_remote_id=mention.remote_id)  # not our post

    # figures: a like, a follow, replies; the AppView counts with a delay
    view = post_view(theirs, posted.remote_id)
    theirs._call("POST", "com.atproto.repo.createRecord", json_body={
        "repo": citizen["did"], "collection": "app.bsky.feed.like",
        "record": {"$type": "app.bsky.feed.like", "subject": {"uri": view["uri"], "cid": view["cid"]},
                   "createdAt": "2026-11-20T09:00:00.000Z"}})
    theirs._call("POST", "com.atproto.repo.createRecord", json_body={
        "repo": citizen["did"], "collection": "app.bsky.graph.follow",
        "record": {"$type": "app.bsky.graph.follow", "subject": town["did"], "createdAt": "2026-11-20T09:00:00.000Z"}})
    figures = poll(lambda: ours.post_metrics(posted.remote_id).values,
                   lambda v: v.get("likes") == 1 and v.get("replies", 0) >= 1)
    assert {"likes", "reposts", "replies", "quotes"} <= figures.keys() and figures["reposts"] == 0
    account = poll(lambda: ours.account_metrics().values, lambda v: v.get("followers", 0) >= 1)
    assert account["posts"] >= 1 and set(account) == {"followers", "follows", "posts"}

    ours.delete(posted.remote_id)
    poll(lambda: post_view(ours, posted.remote_id), lambda v: v is None)
    with pytest.raises(errors.Permanent):
        ours.delete(answer.remote_id)  # someone else's post: no delete_comment on Bluesky


def test_video_post(bsky_network, town):
    connector = make_connector(bsky_network, town)
    video = MediaFile("tests/fixtures/vertical-180x320-2s.mp4", "video", "video/mp4", alt_text="Le beffroi")
    posted = connector.publish(PostRequest(text="En vidéo", marker=str(uuid.uuid4()), media=(video,)))
    record = httpx.get(f"{bsky_network.pds}/xrpc/com.atproto.repo.getRecord", params={
        "repo": town["did"], "collection": "app.bsky.feed.post", "rkey": posted.remote_id.rsplit("/", 1)[1]}).json()
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video" and embed["alt"] == "Le beffroi"
    assert embed["video"]["mimeType"] == "video/mp4"
    view = poll(lambda: post_view(connector, posted.remote_id), lambda v: v is not None)
    assert view["embed"]["$type"] == "app.bsky.embed.video#view"


def test_image_from_a_url_of_the_media_storage(bsky_network, town, monkeypatch):
    """Remote storage hands connectors a signed URL: the connector downloads it."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 90, 200)).save(buffer, "JPEG")
    transport_seen = []

    import parvis.networks.bluesky.connector as module

    real = module.shared_client()

    class Client:
        def __getattr__(self, name):
            return getattr(real, name)

        def request(self, method, url, **kwargs):
            if str(url).startswith("https://stockage.example/"):
                transport_seen.append(url)
                return httpx.Response(200, content=buffer.getvalue(), request=httpx.Request(method, url))
            return real.request(method, url, **kwargs)

    connector = make_connector(bsky_network, town)
    monkeypatch.setattr(module, "shared_client", lambda: Client())
    posted = connector.publish(PostRequest(text="Photo", marker=str(uuid.uuid4()), media=(
        MediaFile("https://stockage.example/m/1.jpg?sig=abc", "image", "image/jpeg", alt_text="Mairie"),)))
    assert transport_seen
    view = poll(lambda: post_view(connector, posted.remote_id), lambda v: v is not None)
    assert view["embed"]["images"][0]["alt"] == "Mairie"
