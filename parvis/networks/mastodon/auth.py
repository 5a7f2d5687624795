"""Connecting a Mastodon account: one app per instance, then OAuth 2 authorization code with PKCE.

Functions only; the web flow (state, session, storage of the secret and the token) belongs to the caller:

    client_id, client_secret = register_app(instance_url, redirect_uri)          # once per instance
    verifier, challenge = make_pkce()                                            # once per attempt
    url = authorization_url(instance_url, client_id, redirect_uri, state=..., code_challenge=challenge)
    token = exchange_code(instance_url, client_id, client_secret, redirect_uri, code, code_verifier=verifier)

Mastodon.py registers the app and builds the authorization URL; it has no PKCE parameter, so the
challenge is added to its URL and the code exchange is a plain form POST (over the house HTTP module).
Mastodon supports PKCE S256 since 4.3 and ignores the parameters before: sending them is always safe.
Every instance address is checked with guard_public_host (https and public addresses only, loopback only
with `allow_loopback`, for tests and local peers). Tokens never expire.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode, urlsplit

import httpx
import requests
from mastodon import Mastodon

from .. import errors
from ..http import CONNECT_TIMEOUT_S, UnsafeHost, guard_public_host, make_client

SCOPES = ("read:statuses", "read:notifications", "read:accounts", "write:statuses", "write:media")
CLIENT_NAME = "Parvis"
WEBSITE = "https://parvis.fr"


def _base(instance_url: str, allow_loopback: bool) -> str:
    raw = (instance_url or "").strip()
    if raw and "://" not in raw:
        raw = f"https://{raw}"
    try:
        guard_public_host(raw, allow_loopback=allow_loopback)
    except UnsafeHost as exc:
        raise errors.Permanent(str(exc)) from exc
    parts = urlsplit(raw)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class _Recording(requests.Session):
    """Keeps the last response, so that a refusal can be reported in the server's own words."""

    last: requests.Response | None = None

    def request(self, *args, **kwargs):
        self.last = super().request(*args, **kwargs)
        return self.last


def register_app(instance_url: str, redirect_uri: str, *, client_name: str = CLIENT_NAME, website: str = WEBSITE,
                 scopes: tuple[str, ...] = SCOPES, allow_loopback: bool = False,
                 timeout: float = 20.0) -> tuple[str, str]:
    """POST /api/v1/apps on the instance; returns (client_id, client_secret) to keep for that instance."""
    base = _base(instance_url, allow_loopback)
    session = _Recording()
    try:
        return Mastodon.create_app(client_name, scopes=list(scopes), redirect_uris=redirect_uri, website=website,
                                   api_base_url=base, request_timeout=(CONNECT_TIMEOUT_S, timeout), session=session)
    except (KeyError, TypeError) as exc:  # an error body instead of the app
        response = session.last
        status = response.status_code if response is not None else 0
        try:
            words = str(response.json().get("error") or "") if response is not None else ""
        except (ValueError, AttributeError):
            words = ""
        if status >= 500:
            raise errors.Transient(f"Le serveur Mastodon ne répond pas correctement ({status}).") from exc
        raise errors.Permanent(
            f"Le serveur Mastodon refuse d'enregistrer Parvis : {words or status or 'réponse illisible'}",
            detail=f"mastodon HTTP {status}: {words}") from exc
    except Exception as exc:  # noqa: BLE001 — MastodonNetworkError: the instance did not answer
        raise errors.Transient(f"Le serveur Mastodon {base} ne répond pas.", detail=str(exc)) from exc
    finally:
        session.close()


def make_pkce() -> tuple[str, str]:
    """(code_verifier, code_challenge) for S256 (RFC 7636): keep the verifier server-side until the callback."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode("ascii")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=")
    return verifier, challenge.decode("ascii")


def authorization_url(instance_url: str, client_id: str, redirect_uri: str, *, state: str, code_challenge: str,
                      scopes: tuple[str, ...] = SCOPES, lang: str = "fr", force_login: bool = False,
                      allow_loopback: bool = False) -> str:
    """Where to send the person to approve Parvis on their instance (no network call)."""
    base = _base(instance_url, allow_loopback)
    url = Mastodon(api_base_url=base).auth_request_url(
        client_id=client_id, redirect_uris=redirect_uri, scopes=list(scopes), force_login=force_login,
        state=state, lang=lang, skip_server_info=True,
    )
    return f"{url}&{urlencode({'code_challenge': code_challenge, 'code_challenge_method': 'S256'})}"


def exchange_code(instance_url: str, client_id: str, client_secret: str, redirect_uri: str, code: str, *,
                  code_verifier: str, scopes: tuple[str, ...] = SCOPES, allow_loopback: bool = False,
                  timeout: float = 20.0, client: httpx.Client | None = None) -> dict:
    """POST /oauth/token; returns the credentials to store: {"access_token", "scope", "token_type"}.

    Raises AuthExpired when the instance refuses the code (expired, already used, wrong verifier) and
    Permanent when it grants fewer scopes than Parvis needs.
    """
    base = _base(instance_url, allow_loopback)
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": client_id,
        "client_secret": client_secret, "code_verifier": code_verifier, "scope": " ".join(scopes),
    }
    own = client is None
    client = client or make_client(timeout=timeout)
    try:
        response = client.post(f"{base}/oauth/token", data=form)
    except httpx.TransportError as exc:
        raise errors.Transient(f"Le serveur Mastodon {base} ne répond pas.", detail=type(exc).__name__) from exc
    finally:
        if own:
            client.close()
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code >= 500:
        raise errors.Transient(f"Le serveur Mastodon ne répond pas correctement ({response.status_code}).")
    if response.status_code >= 400 or not body.get("access_token"):
        words = body.get("error_description") or body.get("error") or str(response.status_code)
        raise errors.AuthExpired(f"Mastodon refuse la connexion : {words}",
                                 detail=f"mastodon HTTP {response.status_code}: {body.get('error', '')}")
    granted = set(str(body.get("scope") or "").split())
    expanded = granted | {f"{scope}:{part}" for scope in granted & {"read", "write"} for part in
                          ("statuses", "notifications", "accounts", "media")}
    missing = [s for s in scopes if s not in expanded]
    if granted and missing:
        raise errors.Permanent("Mastodon n'a pas accordé toutes les autorisations nécessaires : "
                               + ", ".join(missing))
    return {"access_token": str(body["access_token"]), "scope": str(body.get("scope") or ""),
            "token_type": str(body.get("token_type") or "Bearer")}
