"""OAuth 2 authorization code (with PKCE where the network supports it): providers as data, the
authorization URL, and the token exchange and refresh over the one HTTP module.

No ORM and no Django here: the caller (parvis.channels.connect) keeps the state, the verifier and the tokens.
Mastodon is one provider per instance (`mastodon_provider(instance_url)`); Bluesky is connected with an app
password, not through this module.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from . import errors
from .http import make_client, redact_body

# RFC 7636 §4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
VERIFIER_BYTES = 48  # → 64 characters of base64url


class OAuthError(errors.NetworkError):
    """The provider refused the exchange or the refresh (`error` is its code, e.g. invalid_grant)."""

    code = "oauth_error"

    def __init__(self, message: str = "", *, error: str = "", status: int = 0, detail: str = ""):
        super().__init__(message, detail=detail)
        self.error = error
        self.status = status

    @property
    def needs_reconnect(self) -> bool:
        """The grant itself is gone: only the user can fix it by connecting again."""
        return self.error in {"invalid_grant", "invalid_token", "unauthorized_client", "access_denied"} or \
            self.status in {401, 403}


@dataclass(frozen=True)
class Provider:
    """How one network speaks OAuth 2. Endpoints and scopes are data, overridable per installation."""

    network: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    pkce: bool
    refresh: bool  # a refresh grant exists (refresh_token, or Meta's token-refresh endpoint)
    scope_separator: str = " "
    client_id_param: str = "client_id"  # TikTok calls it client_key
    extra_authorize_params: dict = field(default_factory=dict)
    token_auth: str = "body"  # "body": client_id/secret in the form; "basic": HTTP Basic (X)
    # Meta: the code gives a short-lived token, exchanged at once for a 60-day one.
    long_lived_url: str = ""
    long_lived_grant: str = ""
    # Meta: refresh is a GET with the current access token instead of a refresh token.
    refresh_url: str = ""
    refresh_grant: str = "refresh_token"
    # Refresh when the access token has less than this left (NETWORKS.md §11.4).
    refresh_margin: timedelta = timedelta(hours=1)
    app_setting: str = ""  # settings prefix of the instance-wide app: PARVIS_<app_setting>_APP_ID / _APP_SECRET


META_GRAPH = "v23.0"
GRAPH_URL = f"https://graph.facebook.com/{META_GRAPH}"  # where Page tokens are read

PROVIDERS: dict[str, Provider] = {
    # Facebook Login for Business; the user token becomes a long-lived one, then Page tokens (no expiry).
    "facebook": Provider(
        network="facebook",
        authorize_url=f"https://www.facebook.com/{META_GRAPH}/dialog/oauth",
        token_url=f"https://graph.facebook.com/{META_GRAPH}/oauth/access_token",
        scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement", "publish_video",
                "pages_manage_engagement", "pages_read_user_engagement", "read_insights"),
        pkce=False, refresh=False, scope_separator=",",
        long_lived_url=f"https://graph.facebook.com/{META_GRAPH}/oauth/access_token",
        long_lived_grant="fb_exchange_token",
        app_setting="META",
    ),
    # Instagram API with Instagram Login: no Facebook Page needed; 60-day tokens refreshed from day 45.
    "instagram": Provider(
        network="instagram",
        authorize_url="https://www.instagram.com/oauth/authorize",
        token_url="https://api.instagram.com/oauth/access_token",
        scopes=("instagram_business_basic", "instagram_business_content_publish",
                "instagram_business_manage_comments", "instagram_business_manage_insights"),
        pkce=False, refresh=True, scope_separator=",",
        long_lived_url="https://graph.instagram.com/access_token", long_lived_grant="ig_exchange_token",
        refresh_url="https://graph.instagram.com/refresh_access_token", refresh_grant="ig_refresh_token",
        refresh_margin=timedelta(days=15),
        app_setting="META",
    ),
    "threads": Provider(
        network="threads",
        authorize_url="https://threads.net/oauth/authorize",
        token_url="https://graph.threads.net/oauth/access_token",
        scopes=("threads_basic", "threads_content_publish", "threads_manage_replies", "threads_read_replies",
                "threads_manage_insights", "threads_delete"),
        pkce=False, refresh=True, scope_separator=",",
        long_lived_url="https://graph.threads.net/access_token", long_lived_grant="th_exchange_token",
        refresh_url="https://graph.threads.net/refresh_access_token", refresh_grant="th_refresh_token",
        refresh_margin=timedelta(days=15),
        app_setting="THREADS",
    ),
    # Programmatic refresh tokens only for approved partners: without one, the 60-day token needs alerts.
    "linkedin": Provider(
        network="linkedin",
        authorize_url="https://www.linkedin.com/oauth/v2/authorization",
        token_url="https://www.linkedin.com/oauth/v2/accessToken",
        scopes=("w_organization_social", "r_organization_social", "rw_organization_admin"),
        pkce=False, refresh=True, refresh_margin=timedelta(days=10), app_setting="LINKEDIN",
    ),
    "x": Provider(
        network="x",
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",
        scopes=("tweet.read", "tweet.write", "users.read", "media.write", "tweet.moderate.write",
                "offline.access"),
        pkce=True, refresh=True, token_auth="basic", refresh_margin=timedelta(minutes=30), app_setting="X",
    ),
    "tiktok": Provider(
        network="tiktok",
        authorize_url="https://www.tiktok.com/v2/auth/authorize/",
        token_url="https://open.tiktokapis.com/v2/oauth/token/",
        scopes=("user.info.basic", "user.info.stats", "video.list", "video.publish", "video.upload"),
        pkce=True, refresh=True, scope_separator=",", client_id_param="client_key",
        refresh_margin=timedelta(minutes=30), app_setting="TIKTOK",
    ),
    "youtube": Provider(
        network="youtube",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",
        scopes=("https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.force-ssl",
                "https://www.googleapis.com/auth/youtube.readonly",
                "https://www.googleapis.com/auth/yt-analytics.readonly"),
        pkce=True, refresh=True, extra_authorize_params={"access_type": "offline", "prompt": "consent"},
        refresh_margin=timedelta(minutes=20), app_setting="YOUTUBE",
    ),
    "snapchat": Provider(
        network="snapchat",
        authorize_url="https://accounts.snapchat.com/accounts/oauth2/auth",
        token_url="https://accounts.snapchat.com/login/oauth2/access_token",
        scopes=("snapchat-marketing-api",),
        pkce=False, refresh=True, refresh_margin=timedelta(minutes=20), app_setting="SNAPCHAT",
    ),
}

MASTODON_SCOPES = ("read:statuses", "read:notifications", "read:accounts", "write:statuses", "write:media")


def mastodon_provider(instance_url: str) -> Provider:
    """Mastodon: one provider per instance; tokens never expire (PKCE S256 since 4.3, ignored before)."""
    base = instance_url.rstrip("/")
    return Provider(network="mastodon", authorize_url=f"{base}/oauth/authorize", token_url=f"{base}/oauth/token",
                    scopes=MASTODON_SCOPES, pkce=True, refresh=False)


def provider_for(network: str, instance_url: str = "") -> Provider | None:
    if network == "mastodon":
        return mastodon_provider(instance_url) if instance_url else None
    return PROVIDERS.get(network)


# --- PKCE and state ----------------------------------------------------------------------------------------


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_code_verifier() -> str:
    return _b64url(secrets.token_bytes(VERIFIER_BYTES))


def code_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(code_verifier))), RFC 7636 §4.2."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_nonce() -> str:
    return _b64url(secrets.token_bytes(24))


# --- Authorization URL -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    """The client registered on the network (Meta app, X project, Mastodon app on one instance...)."""

    client_id: str
    client_secret: str = ""

    def __repr__(self) -> str:
        return f"App(client_id={self.client_id!r}, client_secret=<redacted>)"


def authorization_url(provider: Provider, app: App, *, redirect_uri: str, state: str,
                      code_verifier: str = "") -> str:
    params = {
        provider.client_id_param: app.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": provider.scope_separator.join(provider.scopes),
        "state": state,
        **provider.extra_authorize_params,
    }
    if provider.pkce:
        if not code_verifier:
            raise ValueError("PKCE: code_verifier manquant")
        params["code_challenge"] = code_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    separator = "&" if "?" in provider.authorize_url else "?"
    return f"{provider.authorize_url}{separator}{urlencode(params)}"


# --- Tokens -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None  # None: the token does not expire (or the network did not say)
    scope: str = ""
    extra: dict = field(default_factory=dict)  # user_id, refresh_expires_in...: anything else the network sent

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at!r}, scope={self.scope!r}, tokens=<redacted>)"

    def as_credentials(self) -> dict:
        """The dict stored (encrypted) on the channel. No key for what is absent: a merge keeps the old value."""
        data = {k: v for k, v in self.extra.items() if v not in ("", None)}
        data["access_token"] = self.access_token
        if self.refresh_token:
            data["refresh_token"] = self.refresh_token
        if self.scope:
            data["scope"] = self.scope
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else ""
        return data


def _token_set(body: dict, now: datetime) -> TokenSet:
    expires_in = body.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) or (isinstance(expires_in, str) and expires_in.isdigit()):
        seconds = int(expires_in)
        if seconds > 0:
            expires_at = now + timedelta(seconds=seconds)
    extra = {k: body[k] for k in ("user_id", "open_id", "refresh_expires_in", "token_type", "id") if k in body}
    if "user_id" in extra:
        extra["user_id"] = str(extra["user_id"])
    return TokenSet(access_token=str(body.get("access_token") or ""), refresh_token=str(body.get("refresh_token") or ""),
                    expires_at=expires_at, scope=str(body.get("scope") or ""), extra=extra)


def _parse(response: httpx.Response, what: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    wrapped = body.get("data")
    if isinstance(wrapped, list) and wrapped and isinstance(wrapped[0], dict) and "access_token" in wrapped[0]:
        body = wrapped[0]  # Instagram Login answers {"data": [{"access_token", "user_id", "permissions"}]}
    error = body.get("error")
    if response.status_code >= 400 or error:
        code = error if isinstance(error, str) else ""
        message = body.get("error_description") or body.get("message") or ""
        if isinstance(error, dict):  # Meta: {"error": {"message": ..., "type": "OAuthException", "code": 190}}
            message = message or error.get("message", "")
            code = "invalid_token" if error.get("code") == 190 else str(error.get("type") or "")
        detail = redact_body(response.text[:500], response.headers.get("content-type", ""))
        if response.status_code >= 500:
            raise errors.Transient(f"{what} : le réseau ne répond pas correctement ({response.status_code}).",
                                   detail=detail)
        raise OAuthError(f"{what} refusé par le réseau : {message or code or response.status_code}",
                         error=code, status=response.status_code, detail=detail)
    if not body.get("access_token"):
        raise OAuthError(f"{what} : le réseau n'a pas renvoyé de jeton.", status=response.status_code)
    return body


def _send(client: httpx.Client | None, method: str, url: str, **kwargs) -> httpx.Response:
    own = client is None
    client = client or make_client()
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise errors.Transient("Le réseau n'a pas répondu à temps : réessayez.") from exc
    except httpx.TransportError as exc:
        raise errors.Transient("Impossible de joindre le réseau : réessayez.") from exc
    finally:
        if own:
            client.close()


def _token_post(provider: Provider, app: App, form: dict, client: httpx.Client | None) -> httpx.Response:
    headers = {"Accept": "application/json"}
    auth = None
    if provider.token_auth == "basic" and app.client_secret:
        auth = (app.client_id, app.client_secret)
        form = {**form, "client_id": app.client_id}
    else:
        form = {**form, provider.client_id_param: app.client_id}
        if app.client_secret:
            form["client_secret"] = app.client_secret
    return _send(client, "POST", provider.token_url, data=form, headers=headers, auth=auth)


def exchange_code(provider: Provider, app: App, *, code: str, redirect_uri: str, code_verifier: str = "",
                  now: datetime, client: httpx.Client | None = None) -> TokenSet:
    """The authorization code for tokens; for Meta, the short-lived token for a 60-day one at once."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if provider.pkce and code_verifier:
        form["code_verifier"] = code_verifier
    tokens = _token_set(_parse(_token_post(provider, app, form, client), "L'échange du code"), now)
    if provider.long_lived_url:
        tokens = exchange_long_lived(provider, app, tokens, now=now, client=client)
    return tokens


def exchange_long_lived(provider: Provider, app: App, tokens: TokenSet, *, now: datetime,
                        client: httpx.Client | None = None) -> TokenSet:
    params = {"grant_type": provider.long_lived_grant, "client_secret": app.client_secret}
    if provider.long_lived_grant == "fb_exchange_token":
        params.update(client_id=app.client_id, fb_exchange_token=tokens.access_token)
    else:
        params["access_token"] = tokens.access_token
    body = _parse(_send(client, "GET", provider.long_lived_url, params=params), "L'obtention du jeton longue durée")
    long = _token_set(body, now)
    return replace(long, refresh_token=long.refresh_token or tokens.refresh_token,
                   extra={**tokens.extra, **long.extra})


def refresh(provider: Provider, app: App, *, access_token: str = "", refresh_token: str = "", now: datetime,
            client: httpx.Client | None = None) -> TokenSet:
    """New tokens. A response without a refresh token keeps the one given (many networks do not rotate)."""
    if provider.refresh_url:  # Meta: the current, still valid long-lived token renews itself
        if not access_token:
            raise OAuthError("Aucun jeton à renouveler.", error="invalid_grant")
        response = _send(client, "GET", provider.refresh_url,
                         params={"grant_type": provider.refresh_grant, "access_token": access_token})
    else:
        if not refresh_token:
            raise OAuthError("Aucun jeton de renouvellement enregistré.", error="invalid_grant")
        response = _token_post(provider, app, {"grant_type": "refresh_token", "refresh_token": refresh_token},
                               client)
    tokens = _token_set(_parse(response, "Le renouvellement du jeton"), now)
    if not tokens.refresh_token and refresh_token:
        tokens = replace(tokens, refresh_token=refresh_token)
    return tokens


# --- Mastodon: one app per instance -----------------------------------------------------------------------


def register_mastodon_app(instance_url: str, *, client_name: str, redirect_uri: str, website: str = "",
                          client: httpx.Client | None = None) -> App:
    """POST /api/v1/apps on the instance; the caller keeps client_id/secret for that instance."""
    form = {"client_name": client_name, "redirect_uris": redirect_uri, "scopes": " ".join(MASTODON_SCOPES)}
    if website:
        form["website"] = website
    response = _send(client, "POST", f"{instance_url.rstrip('/')}/api/v1/apps", data=form)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500:
        raise errors.Transient(f"Le serveur Mastodon ne répond pas correctement ({response.status_code}).")
    if response.status_code >= 400 or not isinstance(body, dict) or not body.get("client_id"):
        message = body.get("error") if isinstance(body, dict) else ""
        raise OAuthError(f"Le serveur Mastodon refuse d'enregistrer Parvis : {message or response.status_code}",
                         status=response.status_code)
    return App(client_id=str(body["client_id"]), client_secret=str(body.get("client_secret") or ""))


def mastodon_account(instance_url: str, access_token: str, *, client: httpx.Client | None = None) -> dict:
    """The account behind a fresh token ({"id", "acct"}), or {} when the instance does not say."""
    try:
        response = _send(client, "GET", f"{instance_url.rstrip('/')}/api/v1/accounts/verify_credentials",
                         headers={"Authorization": f"Bearer {access_token}"})
        body = response.json() if response.status_code == 200 else {}
    except (errors.NetworkError, ValueError):
        return {}
    if not isinstance(body, dict) or not body.get("id"):
        return {}
    return {"id": str(body["id"]), "acct": str(body.get("acct") or "")}


# --- Facebook: the Page token from the user token ---------------------------------------------------------


def facebook_pages(user_token: str, *, client: httpx.Client | None = None, graph_url: str = "") -> list[dict]:
    """The Pages the user manages: [{"id", "name", "username", "access_token", "instagram_id"}]."""
    response = _send(client, "GET", f"{graph_url or GRAPH_URL}/me/accounts", params={
        "access_token": user_token, "fields": "id,name,username,access_token,instagram_business_account",
        "limit": "100"})
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        raise OAuthError(f"Lecture des Pages Facebook refusée : {error.get('message', response.status_code)}",
                         error="invalid_token" if error.get("code") == 190 else "", status=response.status_code)
    pages = []
    for page in body.get("data", []) if isinstance(body, dict) else []:
        pages.append({"id": str(page.get("id", "")), "name": str(page.get("name", "")),
                      "username": str(page.get("username", "") or ""),
                      "access_token": str(page.get("access_token", "")),
                      "instagram_id": str((page.get("instagram_business_account") or {}).get("id", ""))})
    return pages
