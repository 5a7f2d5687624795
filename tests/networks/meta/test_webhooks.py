"""Meta webhook endpoint: handshake, signature, and feed / comments / mentions changes → RemoteComment."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from parvis.networks.meta.webhooks import handle_changes, parse_changes, valid_signature

SECRET = "app-secret-de-test"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

PAGE_FEED = {"object": "page", "entry": [{"id": "245628824887810", "time": 1763640000, "changes": [
    {"field": "feed", "value": {
        "item": "comment", "verb": "add", "post_id": "245628824887810_245778718206154",
        "comment_id": "245778718206154_229887283291835", "parent_id": "245628824887810_245778718206154",
        "from": {"id": "6543", "name": "Camille Martin"}, "message": "Et le parking ?",
        "created_time": 1763640000}},
    {"field": "feed", "value": {
        "item": "comment", "verb": "add", "post_id": "245628824887810_245778718206154",
        "comment_id": "245778718206154_229887283291899", "parent_id": "245778718206154_229887283291835",
        "from": {"id": "777", "name": "Lou"}, "message": "<script>alert(1)</script>", "created_time": 1763640060}},
    {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "245628824887810_1",
                                "reaction_type": "like", "from": {"id": "1"}}},
    {"field": "mention", "value": {"item": "post", "verb": "add", "post_id": "999_888", "sender_id": "42",
                                   "sender_name": "Association du quartier", "message": "Merci @Ville !"}},
]}]}

IG_CHANGES = {"object": "instagram", "entry": [{"id": "17841406338772941", "time": 1763640000, "changes": [
    {"field": "comments", "value": {"from": {"id": "232323", "username": "ikroskun"},
                                    "media": {"id": "17846368219941692", "media_product_type": "FEED"},
                                    "id": "17892250648466172", "text": "@ikroskun Hey, guys"}},
    {"field": "comments", "value": {"from": {"id": "1", "username": "u"}, "media": {"id": "17846368219941692"},
                                    "id": "17847314687296283", "parent_id": "17892250648466172", "text": "nihao"}},
    {"field": "mentions", "value": {"media_id": "17918195224117851", "comment_id": "17967008497439572"}},
]}]}


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(("header", "ok"), [
    (sign(b"{}"), True),
    (sign(b"{}", "autre-secret"), False),
    (sign(b"{ }"), False),  # body changed
    ("sha1=" + hmac.new(SECRET.encode(), b"{}", hashlib.sha1).hexdigest(), False),  # old header scheme
    ("", False),
    (None, False),
])
def test_signature(header, ok):
    assert valid_signature(b"{}", header, SECRET) is ok


def test_signature_needs_a_secret():
    assert not valid_signature(b"{}", sign(b"{}", ""), "")


def test_page_feed_comments_replies_and_mentions():
    found = handle_changes(PAGE_FEED, now=NOW)
    assert [(c.kind, c.remote_id) for c in found] == [
        ("comment", "245778718206154_229887283291835"),
        ("reply", "245778718206154_229887283291899"),
        ("mention", "999_888"),
    ]  # the reaction is not a comment
    first, reply, mention = found
    assert first.post_remote_id == "245628824887810_245778718206154" and first.parent_remote_id == ""
    assert first.author_name == "Camille Martin" and first.created_at == datetime.fromtimestamp(1763640000, UTC)
    assert reply.parent_remote_id == "245778718206154_229887283291835"
    assert reply.text == "<script>alert(1)</script>"  # kept as is: escaped at display
    assert mention.text == "Merci @Ville !" and mention.author_name == "Association du quartier"


def test_instagram_comments_replies_and_mentions():
    pairs = parse_changes(IG_CHANGES, now=NOW)
    assert {account for account, _ in pairs} == {"17841406338772941"}
    comment, reply, mention = (c for _, c in pairs)
    assert (comment.kind, comment.author_handle, comment.post_remote_id) == (
        "comment", "ikroskun", "17846368219941692")
    assert reply.kind == "reply" and reply.parent_remote_id == "17892250648466172"
    assert mention.kind == "mention" and mention.remote_id == "17967008497439572" and mention.text == ""
    assert all(c.created_at.tzinfo for c in (comment, reply, mention))


@pytest.mark.parametrize("payload", [None, [], {"object": "page"}, {"object": "page", "entry": ["x", {"changes": [1]}]},
                                     {"object": "user", "entry": [{"changes": [{"field": "feed", "value": {}}]}]}])
def test_malformed_payloads_give_nothing(payload):
    assert handle_changes(payload) == []


# --- the view ---


@pytest.fixture
def meta_settings(settings):
    settings.META_APP_SECRET = SECRET
    settings.META_WEBHOOK_VERIFY_TOKEN = "jeton-verif"
    return settings


@pytest.mark.django_db
def test_handshake_echoes_the_challenge(client, meta_settings):
    response = client.get("/webhooks/meta/", {"hub.mode": "subscribe", "hub.verify_token": "jeton-verif",
                                              "hub.challenge": "1158201444"})
    assert response.status_code == 200 and response.content == b"1158201444"


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    {"hub.mode": "subscribe", "hub.verify_token": "mauvais", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": "jeton-verif", "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_handshake_with_wrong_token_is_forbidden(client, meta_settings, query):
    response = client.get("/webhooks/meta/", query)
    assert response.status_code == 403 and b"1" not in response.content


@pytest.mark.django_db
def test_handshake_refused_when_no_token_is_configured(client, settings, monkeypatch):
    monkeypatch.delenv("PARVIS_META_WEBHOOK_VERIFY_TOKEN", raising=False)
    settings.META_WEBHOOK_VERIFY_TOKEN = ""
    response = client.get("/webhooks/meta/", {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_signed_post_is_parsed(client, meta_settings, monkeypatch):
    seen = []
    from parvis.web import webhooks
    monkeypatch.setattr(webhooks, "store_changes", lambda payload: seen.append(payload) or 0)
    body = json.dumps(PAGE_FEED).encode()
    response = client.post("/webhooks/meta/", body, content_type="application/json",
                           headers={"X-Hub-Signature-256": sign(body)})
    assert response.status_code == 200 and seen == [PAGE_FEED]


@pytest.mark.django_db
@pytest.mark.parametrize("signature", [sign(b"autre corps"), sign(b"x", "autre-secret"), None])
def test_bad_signature_is_forbidden_and_nothing_read(client, meta_settings, monkeypatch, signature):
    from parvis.web import webhooks
    monkeypatch.setattr(webhooks, "store_changes", lambda payload: pytest.fail("lu sans signature valide"))
    body = json.dumps(PAGE_FEED).encode()
    headers = {"X-Hub-Signature-256": signature} if signature else {}
    response = client.post("/webhooks/meta/", body, content_type="application/json", headers=headers)
    assert response.status_code == 403


@pytest.mark.django_db
def test_per_authority_app_uses_the_channel_secret(client, settings, monkeypatch):
    from parvis.web import webhooks
    settings.META_APP_ID = "111"
    monkeypatch.setattr(webhooks, "app_credentials",
                        lambda app_id: ("secret-de-la-ville", "jeton-ville") if app_id == "222" else ("", ""))
    body = json.dumps(IG_CHANGES).encode()
    assert client.post("/webhooks/meta/222/", body, content_type="application/json",
                       headers={"X-Hub-Signature-256": sign(body, "secret-de-la-ville")}).status_code == 200
    assert client.post("/webhooks/meta/333/", body, content_type="application/json",
                       headers={"X-Hub-Signature-256": sign(body, "secret-de-la-ville")}).status_code == 403


@pytest.mark.django_db
def test_app_credentials_are_read_from_the_authoritys_channel(settings):
    from parvis.channels.crypto import encrypt
    from parvis.web.webhooks import app_credentials
    from tests.factories import ChannelFactory
    settings.META_APP_ID = "111"
    settings.META_APP_SECRET = "secret-installation"
    settings.META_WEBHOOK_VERIFY_TOKEN = "jeton-installation"
    ChannelFactory(network="facebook", handle="ville", credentials=encrypt(
        {"page_id": "1", "access_token": "t", "app_id": "222", "app_secret": "secret-ville",
         "webhook_verify_token": "jeton-ville"}))
    assert app_credentials("222") == ("secret-ville", "jeton-ville")
    assert app_credentials("111") == ("secret-installation", "jeton-installation")
    assert app_credentials(None) == ("secret-installation", "jeton-installation")
    assert app_credentials("333") == ("", "")


@pytest.mark.django_db
def test_a_signed_call_lands_in_the_inbox_of_the_page_once(client, meta_settings):
    from parvis.inbox.models import Comment
    from tests.factories import ChannelFactory

    page = ChannelFactory(network="facebook", is_sandbox=False, remote_account_id="245628824887810")
    other = ChannelFactory(network="facebook", is_sandbox=False, remote_account_id="999")
    body = json.dumps(PAGE_FEED).encode()
    for _ in range(2):  # Meta retries deliveries: the store is idempotent
        response = client.post("/webhooks/meta/", body, content_type="application/json",
                               headers={"X-Hub-Signature-256": sign(body)})
        assert response.status_code == 200
    texts = sorted(Comment.objects.filter(channel=page).values_list("text", flat=True))
    assert texts == sorted(["Et le parking ?", "<script>alert(1)</script>", "Merci @Ville !"])
    assert not Comment.objects.filter(channel=other).exists()
