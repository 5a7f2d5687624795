"""Connecting a channel: the OAuth round trip through the pages, the state's guarantees, encrypted storage,
Mastodon per instance, Facebook Page tokens, Bluesky app passwords, permissions."""

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from parvis.channels import connect
from parvis.channels.crypto import decrypt, encrypt
from parvis.channels.models import Channel
from parvis.domain.roles import Role
from parvis.networks import errors, oauth, registry
from parvis.networks.base import Connector
from parvis.publishing.models import Delivery
from tests.factories import ChannelFactory
from tests.web.helpers import page, publication

pytestmark = pytest.mark.django_db
CALLBACK = "/connexion/retour/"


@pytest.fixture
def x_channel(authority):
    return ChannelFactory(authority=authority, network="x", handle="VilleArras", is_sandbox=False,
                          status=Channel.Status.RECONNECT, credentials=encrypt({}))


@pytest.fixture
def cm(client, members):
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    return client


def _start(client, channel, data=None):
    r = client.post(f"/a/{channel.authority.slug}/comptes/{channel.pk}/connexion/", data or {})
    assert r.status_code == 302, page(r)
    url = r["Location"]
    return url, {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- The round trip ---------------------------------------------------------------------------------------


def test_x_round_trip_exchanges_the_code_stores_tokens_encrypted_and_resumes_held_deliveries(
        cm, provider, x_app, authority, x_channel):
    held = publication(authority, [x_channel], status="approved", deliveries=True,
                       when=timezone.now() - timedelta(hours=3)).deliveries.get()
    provider.answer("POST /x/token", 200, {"access_token": "ACCESS-SECRET-1", "refresh_token": "REFRESH-SECRET-1",
                                           "expires_in": 7200, "scope": "tweet.read tweet.write"})
    url, q = _start(cm, x_channel)
    assert url.startswith(f"{provider.url}/x/authorize?")
    assert q["client_id"] == "x-client" and q["redirect_uri"] == "https://parvis.example.fr/connexion/retour/"
    assert q["code_challenge_method"] == "S256"
    assert "code_verifier" not in url  # the verifier stays on the server

    r = cm.get(CALLBACK, {"state": q["state"], "code": "CODE-42"})
    assert r.status_code == 302 and r["Location"] == "/a/arras/comptes/"

    (exchange,) = provider.requests_to("POST /x/token")
    assert exchange.form["code"] == "CODE-42"
    verifier = exchange.form["code_verifier"]
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() == \
        q["code_challenge"]

    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.ACTIVE
    assert abs((x_channel.token_expires_at - timezone.now()) - timedelta(hours=2)) < timedelta(minutes=1)
    raw = bytes(Channel.objects.values_list("credentials", flat=True).get(pk=x_channel.pk))
    assert b"ACCESS-SECRET-1" not in raw and b"REFRESH-SECRET-1" not in raw
    creds = decrypt(raw)
    assert creds["access_token"] == "ACCESS-SECRET-1" and creds["refresh_token"] == "REFRESH-SECRET-1"
    held.refresh_from_db()
    assert held.state == "scheduled" and held.run_after > timezone.now() - timedelta(minutes=1)

    # The same answer a second time (a replay, a double click) is refused.
    again = cm.get(CALLBACK, {"state": q["state"], "code": "CODE-42"})
    assert again.status_code == 400 and "déjà été utilisée" in page(again)
    assert len(provider.requests_to("POST /x/token")) == 1


def test_reconnection_never_replaces_a_stored_refresh_token_with_none(cm, provider, x_app, x_channel):
    x_channel.credentials = encrypt({"access_token": "old", "refresh_token": "RT-KEEP"})
    x_channel.save()
    provider.answer("POST /x/token", 200, {"access_token": "new", "expires_in": 7200})
    _, q = _start(cm, x_channel)
    assert cm.get(CALLBACK, {"state": q["state"], "code": "c"}).status_code == 302
    creds = decrypt(Channel.objects.get(pk=x_channel.pk).credentials)
    assert creds["access_token"] == "new" and creds["refresh_token"] == "RT-KEEP"


def test_a_refused_exchange_stores_nothing_and_says_why(cm, provider, x_app, x_channel):
    provider.answer("POST /x/token", 400, {"error": "invalid_grant", "error_description": "Value passed was invalid"})
    _, q = _start(cm, x_channel)
    r = cm.get(CALLBACK, {"state": q["state"], "code": "c"}, follow=True)
    assert "a refusé la connexion" in page(r) and "Value passed was invalid" in page(r)
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.RECONNECT and decrypt(x_channel.credentials) == {}


def test_the_user_declining_on_the_network_is_explained(cm, provider, x_app, x_channel):
    _, q = _start(cm, x_channel)
    r = cm.get(CALLBACK, {"state": q["state"], "error": "access_denied", "error_description": "User denied"},
               follow=True)
    assert "Connexion annulée" in page(r) and "User denied" in page(r)
    assert not provider.requests_to("POST /x/token")


# --- The state ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["", "garbage", signing.dumps({"n": "x", "c": 1, "t": 0}, salt="other-salt")])
def test_a_forged_state_is_a_clear_400(cm, state):
    r = cm.get(CALLBACK, {"state": state, "code": "c"})
    assert r.status_code == 400 and "state" in page(r) and "Recommencez" in page(r)


def test_a_state_started_in_another_session_is_refused(cm, client, provider, x_app, x_channel, members):
    _, q = _start(cm, x_channel)
    thief = Client()
    thief.force_login(members[Role.DIRECTOR].user)  # even a member of the authority, in another session
    r = thief.get(CALLBACK, {"state": q["state"], "code": "c"})
    assert r.status_code == 400 and "autre session" in page(r)
    assert not provider.requests_to("POST /x/token")


def test_check_state_expiry_and_replay_without_sleeping(x_channel):
    now = timezone.now()
    state = signing.dumps({"n": "N1", "c": x_channel.pk, "t": int(now.timestamp())}, salt=connect.STATE_SALT)
    entry = {"channel": x_channel.pk, "verifier": "v", "redirect_uri": "r", "instance": ""}

    store = {"N1": dict(entry)}
    assert connect.check_state(state, store, now=now + timedelta(minutes=9)) == entry
    with pytest.raises(connect.StateError, match="déjà été utilisée"):
        connect.check_state(state, store, now=now + timedelta(minutes=9))

    with pytest.raises(connect.StateError, match="expiré"):
        connect.check_state(state, {"N1": dict(entry)}, now=now + timedelta(minutes=11))

    tampered = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    with pytest.raises(connect.StateError, match="invalide"):
        connect.check_state(tampered, {"N1": dict(entry)}, now=now)

    # A state signed for one channel cannot finish another channel's connection.
    with pytest.raises(connect.StateError):
        connect.check_state(state, {"N1": {**entry, "channel": x_channel.pk + 1}}, now=now)


# --- Permissions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, status", [(Role.DIRECTOR, 200), (Role.COMMUNITY_MANAGER, 200),
                                          (Role.CONTRIBUTOR, 403), (Role.REVIEWER, 403), (Role.VIEWER, 403)])
def test_only_channel_managers_open_the_connection_page(client, members, x_channel, x_app, role, status):
    client.force_login(members[role].user)
    url = f"/a/arras/comptes/{x_channel.pk}/connexion/"
    assert client.get(url).status_code == status
    assert client.post(url).status_code in {status, 302}
    if status == 403:
        assert client.post(url).status_code == 403


def test_another_authoritys_channel_is_a_404(cm, other, x_app):
    assert cm.get(f"/a/arras/comptes/{other['channel'].pk}/connexion/").status_code == 404
    assert cm.post(f"/a/arras/comptes/{other['channel'].pk}/connexion/").status_code == 404
    assert cm.get(f"/a/lens/comptes/{other['channel'].pk}/connexion/").status_code == 404


def test_complete_connection_refuses_a_member_of_another_authority(members, other):
    with pytest.raises(connect.Http404):
        connect.complete_connection(members[Role.DIRECTOR], other["channel"], code="c",
                                    pending={"channel": other["channel"].pk, "redirect_uri": "r"})


def test_the_channels_page_offers_connect_to_managers_only(client, members, x_channel, authority):
    sandbox = ChannelFactory(authority=authority, network="mastodon", handle="sim", is_sandbox=True)
    link = f"/a/arras/comptes/{x_channel.pk}/connexion/"
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    html = page(client.get("/a/arras/comptes/"))
    assert link in html and "Reconnecter" in html
    assert f"/a/arras/comptes/{sandbox.pk}/connexion/" not in html
    client.force_login(members[Role.VIEWER].user)
    assert link not in page(client.get("/a/arras/comptes/"))


# --- Apps: instance-wide or per authority -----------------------------------------------------------------


def test_without_any_meta_app_the_page_asks_for_the_authoritys_own(cm, provider, authority, monkeypatch):
    monkeypatch.delenv("PARVIS_META_APP_ID", raising=False)
    fb = ChannelFactory(authority=authority, network="facebook", handle="villearras", is_sandbox=False)
    url = f"/a/arras/comptes/{fb.pk}/connexion/"
    html = page(cm.get(url))
    assert 'name="app_id"' in html and "https://parvis.example.fr/connexion/retour/" in html
    r = cm.post(url)
    assert r.status_code == 400 and "PARVIS_META_APP_ID" in page(r)
    r = cm.post(url, {"app_id": "1234"})
    assert r.status_code == 400 and "clé secrète" in page(r)

    _, q = _start(cm, fb, {"app_id": "1234", "app_secret": "meta-secret"})
    assert q["client_id"] == "1234" and q["scope"].split(",")[0] == "pages_show_list"
    stored = bytes(Channel.objects.values_list("credentials", flat=True).get(pk=fb.pk))
    assert b"meta-secret" not in stored and decrypt(stored)["app_secret"] == "meta-secret"
    assert "meta-secret" not in page(cm.get(url))  # never shown again

    # The authority's other Meta channel uses the same app without asking.
    ig = ChannelFactory(authority=authority, network="instagram", handle="villearras", is_sandbox=False)
    _, q = _start(cm, ig)
    assert q["client_id"] == "1234"


def test_facebook_keeps_the_page_token_of_the_channels_page(cm, provider, authority, monkeypatch):
    monkeypatch.setenv("PARVIS_META_APP_ID", "meta-app")
    monkeypatch.setenv("PARVIS_META_APP_SECRET", "meta-secret")
    monkeypatch.setattr(oauth, "GRAPH_URL", f"{provider.url}/graph")
    fb = ChannelFactory(authority=authority, network="facebook", handle="@villearras", is_sandbox=False)
    provider.answer("POST /facebook/token", 200, {"access_token": "short-user", "expires_in": 3600})
    provider.answer("GET /facebook/long", 200, {"access_token": "long-user", "expires_in": 5184000})
    provider.answer("GET /graph/me/accounts", 200, {"data": [
        {"id": "111", "name": "Office de tourisme", "username": "tourisme", "access_token": "PAGE-111"},
        {"id": "222", "name": "Ville d'Arras", "username": "villearras", "access_token": "PAGE-222",
         "instagram_business_account": {"id": "178"}},
    ]})
    _, q = _start(cm, fb)
    assert cm.get(CALLBACK, {"state": q["state"], "code": "c"}).status_code == 302
    fb.refresh_from_db()
    creds = decrypt(fb.credentials)
    assert creds["access_token"] == "PAGE-222" and creds["page_id"] == "222" and creds["user_access_token"] == "long-user"
    assert fb.remote_account_id == "222" and fb.token_expires_at is None  # Page tokens do not expire
    assert provider.requests_to("GET /graph/me/accounts")[0].query["access_token"] == "long-user"


def test_instagram_login_keeps_a_60_day_token_and_the_account_id(cm, provider, authority, monkeypatch):
    monkeypatch.setenv("PARVIS_META_APP_ID", "meta-app")
    monkeypatch.setenv("PARVIS_META_APP_SECRET", "meta-secret")
    ig = ChannelFactory(authority=authority, network="instagram", handle="villearras", is_sandbox=False)
    provider.answer("POST /instagram/token", 200, {"data": [{"access_token": "short", "user_id": 17841,
                                                              "permissions": "instagram_business_basic"}]})
    provider.answer("GET /instagram/long", 200, {"access_token": "IG-LONG", "token_type": "bearer",
                                                  "expires_in": 5184000})
    _, q = _start(cm, ig)
    assert cm.get(CALLBACK, {"state": q["state"], "code": "c"}).status_code == 302
    ig.refresh_from_db()
    creds = decrypt(ig.credentials)
    assert creds["access_token"] == "IG-LONG" and creds["ig_user_id"] == "17841" and creds["login"] == "instagram"
    assert ig.remote_account_id == "17841"
    assert timedelta(days=59) < ig.token_expires_at - timezone.now() <= timedelta(days=60)


# --- Mastodon -------------------------------------------------------------------------------------------------


def test_mastodon_registers_the_app_once_per_instance_and_connects(cm, provider, authority):
    masto = ChannelFactory(authority=authority, network="mastodon", handle="arras@exemple", is_sandbox=False,
                           credentials=encrypt({}))
    provider.answer("POST /api/v1/apps", 200, {"client_id": "masto-cid", "client_secret": "masto-csec"})
    provider.answer("POST /oauth/token", 200, {"access_token": "MASTO-TOKEN", "token_type": "Bearer",
                                                "scope": "read:statuses write:statuses", "created_at": 1})
    provider.answer("GET /api/v1/accounts/verify_credentials", 200, {"id": "10987", "acct": "arras"})
    url, q = _start(cm, masto, {"instance_url": provider.url + "/"})
    assert url.startswith(f"{provider.url}/oauth/authorize?") and q["client_id"] == "masto-cid"
    assert q["code_challenge_method"] == "S256"
    masto.refresh_from_db()
    assert masto.instance_url == provider.url
    stored = bytes(masto.credentials)
    assert b"masto-csec" not in stored and decrypt(stored)["client_secret"] == "masto-csec"

    _start(cm, masto, {"instance_url": provider.url})  # a second attempt reuses the registered app
    assert len(provider.requests_to("POST /api/v1/apps")) == 1

    assert cm.get(CALLBACK, {"state": q["state"], "code": "m-code"}).status_code == 302
    masto.refresh_from_db()
    assert masto.status == Channel.Status.ACTIVE and masto.token_expires_at is None
    assert masto.remote_account_id == "10987"
    assert decrypt(masto.credentials)["access_token"] == "MASTO-TOKEN"
    assert decrypt(masto.credentials)["account_id"] == "10987"  # what the Mastodon connector reads
    assert provider.requests_to("POST /oauth/token")[0].form["client_secret"] == "masto-csec"


def test_mastodon_refuses_an_internal_address(cm, authority, settings):
    settings.PARVIS_ALLOW_LOOPBACK_SERVERS = False
    masto = ChannelFactory(authority=authority, network="mastodon", handle="a@b", is_sandbox=False)
    r = cm.post(f"/a/arras/comptes/{masto.pk}/connexion/", {"instance_url": "http://127.0.0.1:3000"})
    assert r.status_code == 400 and "https://" in page(r)
    r = cm.post(f"/a/arras/comptes/{masto.pk}/connexion/", {"instance_url": "https://10.0.0.5"})
    assert r.status_code == 400 and "adresse interne" in page(r)


# --- Bluesky ----------------------------------------------------------------------------------------------------


class FakeBluesky(Connector):
    network = "bluesky"
    capabilities = frozenset({"publish", "lookup", "refresh"})
    calls: list = []

    def publish(self, post):
        raise NotImplementedError

    def find_by_marker(self, marker):
        return None

    def refresh_credentials(self):
        FakeBluesky.calls.append((self.credentials.data, self.base_url))
        if self.credentials.data.get("app_password") != "good-good-good-good":
            raise errors.AuthExpired("Invalid identifier or password")
        return {"did": "did:plc:arras", "access_jwt": "AJ", "refresh_jwt": "RJ",
                "expires_at": (timezone.now() + timedelta(hours=2)).isoformat()}


@pytest.fixture
def bluesky(authority, monkeypatch):
    FakeBluesky.calls = []
    monkeypatch.setitem(registry.CONNECTORS, "bluesky", FakeBluesky)
    return ChannelFactory(authority=authority, network="bluesky", handle="arras.bsky.social", is_sandbox=False,
                          status=Channel.Status.RECONNECT, credentials=encrypt({"previous": "kept"}))


def test_bluesky_bad_app_password_is_explained_and_nothing_is_stored(cm, bluesky):
    before = bytes(bluesky.credentials)
    r = cm.post(f"/a/arras/comptes/{bluesky.pk}/connexion/",
                {"handle": "arras.bsky.social", "app_password": "wrong", "pds_url": "https://bsky.social"})
    assert r.status_code == 400
    assert "Bluesky refuse cet identifiant ou ce mot de passe d'application" in page(r)
    assert 'value="wrong"' not in page(r)  # a password is never echoed back
    bluesky.refresh_from_db()
    assert bytes(bluesky.credentials) == before and bluesky.status == Channel.Status.RECONNECT
    assert FakeBluesky.calls[0][1] == "https://bsky.social"


def test_bluesky_good_app_password_connects(cm, bluesky, authority):
    r = cm.post(f"/a/arras/comptes/{bluesky.pk}/connexion/",
                {"handle": "@arras.bsky.social", "app_password": "good-good-good-good", "pds_url": ""})
    assert r.status_code == 302
    bluesky.refresh_from_db()
    creds = decrypt(bluesky.credentials)
    assert creds["identifier"] == "arras.bsky.social" and creds["refresh_jwt"] == "RJ" and creds["previous"] == "kept"
    assert b"good-good" not in bytes(bluesky.credentials)
    assert bluesky.status == Channel.Status.ACTIVE and bluesky.remote_account_id == "did:plc:arras"
    assert bluesky.instance_url == "https://bsky.social" and bluesky.token_expires_at is not None


@pytest.mark.parametrize("data, field, words", [
    ({"handle": "", "app_password": "x"}, "handle", "identifiant Bluesky"),
    ({"handle": "a.bsky.social", "app_password": ""}, "app_password", "mot de passe d'application"),
    ({"handle": "a.bsky.social", "app_password": "x", "pds_url": "ftp://pds.example"}, "pds_url", "https://"),
])
def test_bluesky_form_errors_name_the_field(cm, bluesky, data, field, words):
    r = cm.post(f"/a/arras/comptes/{bluesky.pk}/connexion/", data)
    assert r.status_code == 400 and f'id="err-{field}"' in page(r) and words in page(r)
    assert not FakeBluesky.calls


def test_bluesky_bad_password_through_the_real_connector_on_a_loopback_pds(cm, provider, authority):
    if registry.connector_class("bluesky") is None:
        pytest.skip("connecteur Bluesky absent")
    ch = ChannelFactory(authority=authority, network="bluesky", handle="arras.test", is_sandbox=False,
                        status=Channel.Status.RECONNECT, credentials=encrypt({}))
    provider.answer("POST /xrpc/com.atproto.server.createSession", 401,
                    {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
    r = cm.post(f"/a/arras/comptes/{ch.pk}/connexion/",
                {"handle": "arras.test", "app_password": "nope-nope-nope-nope", "pds_url": provider.url})
    assert r.status_code == 400 and "Bluesky refuse" in page(r)
    (login,) = provider.requests_to("POST /xrpc/com.atproto.server.createSession")
    ch.refresh_from_db()
    assert decrypt(ch.credentials) == {} and ch.status == Channel.Status.RECONNECT

    provider.answer("POST /xrpc/com.atproto.server.createSession", 200, {
        "did": "did:plc:abc", "handle": "arras.test", "accessJwt": "AJ", "refreshJwt": "RJ"})
    r = cm.post(f"/a/arras/comptes/{ch.pk}/connexion/",
                {"handle": "arras.test", "app_password": "good-good-good-good", "pds_url": provider.url})
    assert r.status_code == 302
    ch.refresh_from_db()
    creds = decrypt(ch.credentials)
    assert creds["did"] == "did:plc:abc" and creds["refresh_jwt"] == "RJ" and creds["app_password"]
    assert ch.status == Channel.Status.ACTIVE and ch.instance_url == provider.url


def test_bluesky_without_a_connector_is_stored_and_active(members, authority, monkeypatch):
    monkeypatch.setitem(registry.CONNECTORS, "bluesky", "parvis.networks.nowhere.Missing")
    ch = ChannelFactory(authority=authority, network="bluesky", handle="a.bsky.social", is_sandbox=False,
                        status=Channel.Status.RECONNECT)
    connect.connect_with_app_password(members[Role.DIRECTOR], ch, handle="a.bsky.social", app_password="p")
    ch.refresh_from_db()
    assert ch.status == Channel.Status.ACTIVE and decrypt(ch.credentials)["app_password"] == "p"


def test_sandbox_channels_need_no_connection(cm, authority):
    sim = ChannelFactory(authority=authority, network="x", is_sandbox=True)
    r = cm.post(f"/a/arras/comptes/{sim.pk}/connexion/")
    assert r.status_code == 200 and "n'a pas besoin d'être connecté" in page(r)
    assert Delivery.objects.count() == 0
