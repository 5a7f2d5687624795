"""OAuth 2 building blocks: PKCE, the authorization URL per provider, exchange and refresh on a loopback provider."""

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from parvis.networks import errors, oauth
from parvis.networks.http import make_client

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
APP = oauth.App("client-1", "secret-1")


def test_pkce_s256_matches_the_rfc_7636_test_vector():
    # RFC 7636, Appendix B.
    assert oauth.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifiers_are_long_unreserved_and_unique():
    verifiers = {oauth.new_code_verifier() for _ in range(200)}
    assert len(verifiers) == 200
    for v in verifiers:
        assert 43 <= len(v) <= 128 and re.fullmatch(r"[A-Za-z0-9\-._~]+", v)


@pytest.mark.parametrize("network, client_param, separator, pkce, extra", [
    ("x", "client_id", " ", True, {}),
    ("tiktok", "client_key", ",", True, {}),
    ("youtube", "client_id", " ", True, {"access_type": "offline", "prompt": "consent"}),
    ("facebook", "client_id", ",", False, {}),
    ("instagram", "client_id", ",", False, {}),
    ("threads", "client_id", ",", False, {}),
    ("linkedin", "client_id", " ", False, {}),
    ("snapchat", "client_id", " ", False, {}),
])
def test_authorization_url_per_provider(network, client_param, separator, pkce, extra):
    provider = oauth.PROVIDERS[network]
    url = oauth.authorization_url(provider, APP, redirect_uri="https://p.fr/connexion/retour/", state="st",
                                  code_verifier="v" * 50)
    assert url.startswith(provider.authorize_url + "?")
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert q[client_param] == "client-1" and q["state"] == "st" and q["response_type"] == "code"
    assert q["redirect_uri"] == "https://p.fr/connexion/retour/"
    assert q["scope"].split(separator) == list(provider.scopes)
    assert ("code_challenge" in q) is pkce
    if pkce:
        assert q["code_challenge"] == oauth.code_challenge("v" * 50) and q["code_challenge_method"] == "S256"
    for k, v in extra.items():
        assert q[k] == v
    assert "secret-1" not in url  # the secret never travels through the browser


def test_pkce_provider_refuses_to_build_without_a_verifier():
    with pytest.raises(ValueError):
        oauth.authorization_url(oauth.PROVIDERS["x"], APP, redirect_uri="https://p.fr/", state="s")


def test_mastodon_provider_is_per_instance():
    p = oauth.provider_for("mastodon", "https://mastodon.social/")
    assert p.authorize_url == "https://mastodon.social/oauth/authorize" and p.pkce and not p.refresh
    assert oauth.provider_for("mastodon", "") is None
    assert oauth.provider_for("bluesky") is None  # app passwords, not OAuth


def _local(provider_server, network="x", **changes):
    base = provider_server.url
    return dataclasses.replace(oauth.PROVIDERS[network], token_url=f"{base}/token",
                               refresh_url=f"{base}/refresh" if oauth.PROVIDERS[network].refresh_url else "",
                               long_lived_url=f"{base}/long" if oauth.PROVIDERS[network].long_lived_url else "",
                               **changes)


@pytest.fixture
def fake(provider_server):
    provider_server.routes.clear()
    provider_server.seen.clear()
    return provider_server


def test_exchange_sends_code_verifier_and_basic_auth_for_x(fake):
    fake.answer("POST /token", 200, {"access_token": "AT", "refresh_token": "RT", "expires_in": 7200,
                                     "scope": "tweet.read", "token_type": "bearer"})
    tokens = oauth.exchange_code(_local(fake), APP, code="the-code", redirect_uri="https://p.fr/cb",
                                 code_verifier="verif", now=NOW)
    assert (tokens.access_token, tokens.refresh_token) == ("AT", "RT")
    assert tokens.expires_at == NOW + timedelta(hours=2)
    (req,) = fake.requests_to("POST /token")
    assert req.form == {"grant_type": "authorization_code", "code": "the-code", "redirect_uri": "https://p.fr/cb",
                        "code_verifier": "verif", "client_id": "client-1"}
    assert req.headers["Authorization"].startswith("Basic ")
    assert "AT" not in repr(tokens) and "RT" not in repr(tokens)


def test_meta_exchange_swaps_the_short_token_for_a_60_day_one(fake):
    fake.answer("POST /token", 200, {"access_token": "short", "user_id": 1784})
    fake.answer("GET /long", 200, {"access_token": "long", "expires_in": 5184000, "token_type": "bearer"})
    tokens = oauth.exchange_code(_local(fake, "instagram"), APP, code="c", redirect_uri="https://p.fr/cb", now=NOW)
    assert tokens.access_token == "long" and tokens.expires_at == NOW + timedelta(days=60)
    assert tokens.extra["user_id"] == "1784"
    (req,) = fake.requests_to("GET /long")
    assert req.query == {"grant_type": "ig_exchange_token", "client_secret": "secret-1", "access_token": "short"}
    (post,) = fake.requests_to("POST /token")
    assert post.form["client_secret"] == "secret-1" and "code_verifier" not in post.form


def test_refresh_keeps_the_old_refresh_token_when_the_provider_sends_none(fake):
    fake.answer("POST /token", 200, {"access_token": "AT2", "expires_in": 3600})
    tokens = oauth.refresh(_local(fake), APP, refresh_token="RT-old", now=NOW)
    assert tokens.access_token == "AT2" and tokens.refresh_token == "RT-old"
    assert tokens.as_credentials()["refresh_token"] == "RT-old"
    assert fake.requests_to("POST /token")[0].form["grant_type"] == "refresh_token"


def test_refresh_stores_a_rotated_refresh_token(fake):
    fake.answer("POST /token", 200, {"access_token": "AT2", "refresh_token": "RT-new", "expires_in": 7200})
    assert oauth.refresh(_local(fake, "tiktok"), APP, refresh_token="RT-old", now=NOW).refresh_token == "RT-new"
    assert fake.requests_to("POST /token")[0].form["client_key"] == "client-1"


def test_meta_refresh_renews_the_access_token_itself(fake):
    fake.answer("GET /refresh", 200, {"access_token": "IG2", "expires_in": 5184000})
    tokens = oauth.refresh(_local(fake, "instagram"), APP, access_token="IG1", now=NOW)
    assert tokens.access_token == "IG2"
    assert fake.requests_to("GET /refresh")[0].query == {"grant_type": "ig_refresh_token", "access_token": "IG1"}


@pytest.mark.parametrize("status, body, kind, reconnect", [
    (400, {"error": "invalid_grant", "error_description": "Token revoked"}, oauth.OAuthError, True),
    (401, {"error": "invalid_client"}, oauth.OAuthError, True),
    (400, {"error": {"message": "Session expired", "type": "OAuthException", "code": 190}}, oauth.OAuthError, True),
    (400, {"error": "invalid_request"}, oauth.OAuthError, False),
    (200, {"token_type": "bearer"}, oauth.OAuthError, False),  # 200 without a token is no success
    (503, {"error": "unavailable"}, errors.Transient, None),
])
def test_refresh_errors_are_typed(fake, status, body, kind, reconnect):
    fake.answer("POST /token", status, body)
    with pytest.raises(kind) as caught:
        oauth.refresh(_local(fake), APP, refresh_token="RT", now=NOW)
    if reconnect is not None:
        assert caught.value.needs_reconnect is reconnect


def test_refresh_without_anything_to_refresh_with_is_a_grant_error():
    with pytest.raises(oauth.OAuthError) as caught:
        oauth.refresh(oauth.PROVIDERS["x"], APP, refresh_token="", now=NOW)
    assert caught.value.needs_reconnect


def test_unreachable_provider_is_transient_through_the_http_module_client():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    client = make_client(transport=httpx.MockTransport(refuse))
    with pytest.raises(errors.Transient):
        oauth.refresh(oauth.PROVIDERS["x"], APP, refresh_token="RT", now=NOW, client=client)


def test_register_mastodon_app(fake):
    fake.answer("POST /api/v1/apps", 200, {"client_id": "cid", "client_secret": "csec", "name": "Parvis"})
    app = oauth.register_mastodon_app(fake.url, client_name="Parvis · Arras", redirect_uri="https://p.fr/cb")
    assert (app.client_id, app.client_secret) == ("cid", "csec") and "csec" not in repr(app)
    (req,) = fake.requests_to("POST /api/v1/apps")
    assert req.form["redirect_uris"] == "https://p.fr/cb" and "write:statuses" in req.form["scopes"].split()
