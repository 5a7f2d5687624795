"""The connector end to end against mastodon-mock on loopback: the shared contract, then Mastodon specifics."""

import re
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mastodon import Mastodon

from parvis.networks import errors, oauth
from parvis.networks.mastodon.connector import MastodonConnector
from parvis.networks.types import Credentials, MediaFile, PostRequest
from tests.networks.contract import ConnectorContract

# A real 2x2 PNG: the mock stores and serves what it receives.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000164944415478da63f8cfc0f01f"
    "0418191818fe03000e1b02fe0d8a9f0b0000000049454e44ae426082"
)


def connector_for(instance, token: str, handle: str) -> MastodonConnector:
    return MastodonConnector(Credentials(handle, {"access_token": token}), base_url=instance.url, timeout=5.0)


def raw(instance, token: str) -> Mastodon:
    """Mastodon.py directly, to look at the instance the way a person would."""
    return Mastodon(access_token=token, api_base_url=instance.url, ratelimit_method="throw")


class TestMastodonContract(ConnectorContract):
    @pytest.fixture
    def connector(self, mastodon):
        return connector_for(mastodon, "ada_token", "ada")


@pytest.fixture
def ada(mastodon):
    return connector_for(mastodon, "ada_token", "ada")


@pytest.fixture
def grace(mastodon):
    return connector_for(mastodon, "grace_token", "grace")


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "sapin.png"
    path.write_bytes(PNG)
    return MediaFile(path=str(path), kind="image", mime_type="image/png", alt_text="Le sapin de la place de la mairie")


def test_publish_with_image_alt_text_visibility_and_content_warning(mastodon, ada, image):
    posted = ada.publish(PostRequest(
        text="Le marché de Noël ouvre samedi https://www.example.fr/noel", marker=str(uuid.uuid4()),
        media=(image,), options={"visibility": "unlisted", "spoiler_text": "Travaux place de la mairie"},
    ))
    status = raw(mastodon, "ada_token").status(posted.remote_id)
    assert posted.url.endswith(f"/{posted.remote_id}")
    assert [(m.type, m.description) for m in status.media_attachments] == [
        ("image", "Le sapin de la place de la mairie")]
    assert status.visibility == "unlisted"
    assert status.spoiler_text == "Travaux place de la mairie"
    assert status.language == "fr"
    assert "https://www.example.fr/noel" in status.content


def test_same_marker_twice_is_one_status(mastodon, ada):
    """Idempotency-Key: Mastodon answers a second POST with the same key with the first status (1 h)."""
    marker = str(uuid.uuid4())
    first = ada.publish(PostRequest(text="Conseil municipal jeudi", marker=marker))
    again = ada.publish(PostRequest(text="Conseil municipal jeudi", marker=marker))
    assert again == first
    own = raw(mastodon, "ada_token").account_statuses(ada.account_id(), limit=40)
    assert sum(1 for s in own if "Conseil municipal jeudi" in s.content) == 1


def test_thread_chains_each_status_to_the_previous_one(mastodon, ada):
    head = ada.publish(PostRequest(text="1/ Collecte des sapins", marker=str(uuid.uuid4()),
                                   thread=("2/ Points de dépôt", "3/ Horaires")))
    api = raw(mastodon, "ada_token")
    descendants = api.status_context(head.remote_id).descendants
    texts = [re.sub("<[^>]+>", "", d.content) for d in descendants]
    assert [t.startswith(p) for t, p in zip(texts, ("2/", "3/"), strict=True)] == [True, True]
    assert str(descendants[0].in_reply_to_id) == head.remote_id
    assert str(descendants[1].in_reply_to_id) == str(descendants[0].id)


def test_find_by_marker_after_the_key_expired_scans_our_timeline(ada, monkeypatch):
    """Past the hour Mastodon keeps the key, the signature in the text still finds the status."""
    marker = str(uuid.uuid4())
    posted = ada.publish(PostRequest(text="Fermeture de la piscine", marker=marker))
    monkeypatch.setattr(ada, "_probe_idempotency_key", lambda m: None)  # as if the key had expired
    assert ada.find_by_marker(marker) == posted
    assert ada.find_by_marker(str(uuid.uuid4())) is None


def test_a_reply_from_another_account_is_read_back_as_a_comment(mastodon, ada, grace):
    post = ada.publish(PostRequest(text="Vos idées pour le parc ?", marker=str(uuid.uuid4())))
    cursor = ada.fetch_comments().cursor
    answer = grace.reply(post.remote_id, "Des bancs à l'ombre !", marker=str(uuid.uuid4()))
    page = ada.fetch_comments(cursor=cursor, post_ids=(post.remote_id,))
    mine = [c for c in page.comments if c.remote_id == answer.remote_id]
    assert len(mine) == 1
    comment = mine[0]
    assert comment.kind == "comment" and comment.post_remote_id == post.remote_id
    assert comment.author_handle == "grace" and comment.author_name == "Grace Hopper"
    assert comment.text == "@ada Des bancs à l'ombre !"  # mention added, invisible signature removed
    assert comment.created_at.tzinfo is not None
    assert page.cursor and page.cursor != cursor
    # Read again from the new cursor: the mention is not handed out twice.
    assert answer.remote_id not in {c.remote_id for c in ada.fetch_comments(cursor=page.cursor).comments}


def test_our_reply_to_a_comment_keeps_its_visibility_and_is_not_a_comment(mastodon, ada, grace):
    post = ada.publish(PostRequest(text="Sondage : horaires de la médiathèque", marker=str(uuid.uuid4()),
                                   options={"visibility": "private"}))
    comment = grace.reply(post.remote_id, "Le dimanche matin", marker=str(uuid.uuid4()))
    ours = ada.reply(comment.remote_id, "Merci, c'est noté.", marker=str(uuid.uuid4()))
    status = raw(mastodon, "ada_token").status(ours.remote_id)
    assert status.visibility == "private"
    assert "@grace" in status.content
    page = ada.fetch_comments(post_ids=(post.remote_id,))
    assert ours.remote_id not in {c.remote_id for c in page.comments}
    assert comment.remote_id in {c.remote_id for c in page.comments}


def test_counts(mastodon, ada, grace):
    post = ada.publish(PostRequest(text="Inscriptions au centre de loisirs", marker=str(uuid.uuid4())))
    grace.reply(post.remote_id, "Merci !", marker=str(uuid.uuid4()))
    raw(mastodon, "grace_token").status_favourite(post.remote_id)
    raw(mastodon, "alan_token").status_reblog(post.remote_id)
    figures = ada.post_metrics(post.remote_id).values
    assert figures == {"comments": 1, "shares": 1, "likes": 1} or figures == {
        "comments": 1, "shares": 1, "likes": 1, "quotes": 0}
    account = ada.account_metrics().values
    me = raw(mastodon, "ada_token").account_verify_credentials()
    assert account == {"followers": me.followers_count, "following": me.following_count,
                       "posts": me.statuses_count}


def test_cannot_hide_or_delete_someone_elses_reply(ada):
    assert not ada.supports("hide_comment") and not ada.supports("delete_comment")
    assert not ada.supports("refresh")
    with pytest.raises(NotImplementedError):
        ada.hide_comment("1")


@pytest.mark.parametrize(("fault", "expected"), [
    ({"effect": {"type": "status", "status": 401, "body": {"error": "The access token was revoked"}}},
     errors.AuthExpired),
    ({"effect": {"type": "status", "status": 422, "body": {"error": "Validation failed: Text is too long"}}},
     errors.ContentRejected),
    ({"effect": {"type": "ratelimit"}}, errors.RateLimited),
    ({"effect": {"type": "status", "status": 503}}, errors.Transient),
    ({"effect": {"type": "status", "status": 504}}, errors.OutcomeUnknown),
])
def test_server_errors_on_publish_are_typed(mastodon, ada, fault, expected):
    mastodon.faults({"match": {"methods": ["POST"], "path": "/api/v1/statuses"}, "count": 1, **fault})
    with pytest.raises(expected) as caught:
        ada.publish(PostRequest(text="Alerte météo", marker=str(uuid.uuid4())))
    if expected is errors.ContentRejected:
        assert str(caught.value) == "Validation failed: Text is too long"  # the server's words
    if expected is errors.RateLimited:
        assert 250 <= caught.value.retry_after_s <= 301 and caught.value.retry_at is not None


def test_revoked_token_and_unknown_server(mastodon):
    with pytest.raises(errors.AuthExpired):
        connector_for(mastodon, "revoked", "x").account_metrics()
    with pytest.raises(errors.Permanent, match="manquante"):
        MastodonConnector(Credentials("x", {"access_token": "t"})).account_metrics()


def test_private_addresses_are_refused_outside_tests(monkeypatch):
    monkeypatch.delenv("PARVIS_ALLOW_LOOPBACK_SERVERS", raising=False)
    with pytest.raises(errors.Permanent, match="https"):
        MastodonConnector(Credentials("x", {"access_token": "t"}), base_url="http://127.0.0.1:9").account_metrics()
    with pytest.raises(errors.Permanent, match="interne"):
        MastodonConnector(Credentials("x", {"access_token": "t"}), base_url="https://10.0.0.1").account_metrics()


def test_app_registration_then_pkce_authorization_code_flow(mastodon):
    """The connection flow's own functions (parvis.networks.oauth) against a Mastodon API on loopback."""
    redirect = "https://parvis.example/connexion/retour/"
    app = oauth.register_mastodon_app(mastodon.url, client_name="Parvis", redirect_uri=redirect)
    assert app.client_id and app.client_secret
    provider = oauth.mastodon_provider(mastodon.url)
    verifier = oauth.new_code_verifier()
    challenge = oauth.code_challenge(verifier)
    assert 43 <= len(verifier) <= 128 and "=" not in challenge
    url = oauth.authorization_url(provider, app, redirect_uri=redirect, state="etat-123", code_verifier=verifier)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{mastodon.url}/oauth/authorize?")
    assert query["client_id"] == [app.client_id] and query["redirect_uri"] == [redirect]
    assert query["state"] == ["etat-123"] and query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [challenge]
    assert set(query["scope"][0].split()) == set(oauth.MASTODON_SCOPES)
    # The person picks an account on the instance, which redirects back with a code.
    approved = httpx.post(f"{mastodon.url}/oauth/authorize", data={
        "username": "katherine", "redirect_uri": redirect, "client_id": app.client_id, "state": "etat-123"})
    assert approved.status_code == 302
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    tokens = oauth.exchange_code(provider, app, code=code, redirect_uri=redirect, code_verifier=verifier,
                                 now=datetime.now(UTC))
    me = MastodonConnector(Credentials("katherine", {"access_token": tokens.access_token}),
                           base_url=mastodon.url).account_metrics()
    assert set(me.values) == {"followers", "following", "posts"}
    with pytest.raises(errors.NetworkError):
        oauth.exchange_code(provider, app, code="faux", redirect_uri=redirect, code_verifier=verifier,
                            now=datetime.now(UTC))


