"""A thin Graph API client over parvis.networks.http (no Meta SDK), shared by Facebook and Instagram.

Tests replace `client_factory` (e.g. with a client built on an `httpx.MockTransport`) or pass a loopback
`base_url`: that is the one seam between the connectors and the network.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx

from .. import errors
from ..http import SharedClients, make_timeout, network_slot, request_with_retry
from .errors import is_gone, to_exception

DEFAULT_VERSION = "v26.0"  # NETWORKS.md §1: the current Graph version (Nov 2026)
FACEBOOK_GRAPH = "https://graph.facebook.com"
INSTAGRAM_GRAPH = "https://graph.instagram.com"  # Instagram API with Instagram Login
FACEBOOK_VIDEO_GRAPH = "https://graph-video.facebook.com"

_clients = SharedClients(shards=int(os.environ.get("PARVIS_HTTP_SHARDS", "8")), max_connections_per_shard=16)


def default_client() -> httpx.Client:
    return _clients.get()


# The one HTTP seam: tests swap it for a client on an httpx.MockTransport.
client_factory: Callable[[], httpx.Client] = default_client


def utcnow() -> datetime:
    return datetime.now(UTC)


def graph_version(data: dict) -> str:
    """Per channel (`graph_version`), else per installation (PARVIS_META_GRAPH_VERSION), else the default."""
    version = str(data.get("graph_version") or os.environ.get("PARVIS_META_GRAPH_VERSION") or DEFAULT_VERSION)
    return version if version.startswith("v") else f"v{version}"


def appsecret_proof(token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the token with the app secret: Meta's proof that the call comes from the app's server."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


# A connection that never opened, or a pooled slot never obtained: nothing left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class Graph:
    """Calls to one Graph host with one token. Every failure comes out as a parvis typed error."""

    def __init__(self, *, network: str, token: str, base_url: str, version: str, app_secret: str = "",
                 timeout: float = 20.0):
        self.network = network
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.app_secret = app_secret
        self.timeout = timeout

    # --- plumbing ---

    def url(self, path: str, *, base_url: str | None = None) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{(base_url or self.base_url).rstrip('/')}/{self.version}/{path.lstrip('/')}"

    def _headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"OAuth {self.token}", **(extra or {})}

    def _params(self, params: dict | None) -> dict:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        if self.app_secret and self.token:
            params["appsecret_proof"] = appsecret_proof(self.token, self.app_secret)
        return params

    def _check(self, response: httpx.Response) -> dict:
        if response.status_code >= 400:
            raise to_exception(response, network=self.network, now=utcnow())
        try:
            body = response.json()
        except ValueError as exc:
            raise errors.Transient("réponse illisible du réseau", detail=response.text[:300]) from exc
        if isinstance(body, dict) and isinstance(body.get("error"), dict):  # Graph sometimes answers 200
            raise to_exception(response, network=self.network, now=utcnow())
        return body if isinstance(body, dict) else {"data": body}

    # --- verbs ---

    def get(self, path: str, params: dict | None = None) -> dict:
        try:
            with network_slot(self.network):
                response = request_with_retry(
                    client_factory(), "GET", self.url(path), attempts=3, params=self._params(params),
                    headers=self._headers(), timeout=make_timeout(self.timeout),
                )
        except httpx.TransportError as exc:  # a read changes nothing: any failure is transient
            raise errors.Transient(f"{self.network} injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
        return self._check(response)

    def post(self, path: str, data: dict | None = None, *, visible: bool, files: dict | None = None,
             headers: dict | None = None, content: bytes | None = None, base_url: str | None = None) -> dict:
        """One POST, never retried. `visible`: the call may create something the public sees, so a timeout
        after sending is OutcomeUnknown (reconcile); otherwise a lost answer is only Transient."""
        kwargs: dict = {"headers": self._headers(headers), "timeout": make_timeout(self.timeout)}
        if content is not None:
            kwargs["content"] = content
            kwargs["params"] = self._params(data)
        else:
            kwargs["data"] = {k: v for k, v in (data or {}).items() if v is not None}
            kwargs["params"] = self._params(None)
            if files:
                kwargs["files"] = files
        try:
            with network_slot(self.network):
                response = client_factory().post(self.url(path, base_url=base_url), **kwargs)
        except _NOT_SENT as exc:
            raise errors.Transient(f"{self.network} injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
        except httpx.TransportError as exc:
            if visible:
                raise errors.OutcomeUnknown("réponse non reçue", detail=f"{type(exc).__name__}: {exc}") from exc
            raise errors.Transient("réponse non reçue", detail=f"{type(exc).__name__}: {exc}") from exc
        return self._check(response)

    def delete(self, path: str) -> None:
        """Delete an object; one already gone is fine (deleting is idempotent)."""
        try:
            with network_slot(self.network):
                response = request_with_retry(
                    client_factory(), "DELETE", self.url(path), params=self._params(None),
                    headers=self._headers(), timeout=make_timeout(self.timeout),
                )
        except httpx.TransportError as exc:
            raise errors.Transient(f"{self.network} injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
        if is_gone(response):
            return
        self._check(response)

    def pages(self, path: str, params: dict | None = None, *, max_pages: int = 5) -> Iterator[list[dict]]:
        """The `data` of each page, following the `after` cursor while Graph says there is a next page.

        The cursor is sent back to our own base URL (never the absolute `next` link, which names Meta's host).
        """
        params = dict(params or {})
        for _ in range(max_pages):
            body = self.get(path, params)
            yield [item for item in body.get("data") or [] if isinstance(item, dict)]
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            params["after"] = after


def parse_time(value) -> datetime | None:
    """Graph instants: "2021-07-04T19:50:58+0000", or epoch seconds in webhooks."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
