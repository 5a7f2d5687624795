"""The one HTTP client module every connector uses.

One place for timeouts, secret redaction in logs, rate-limit header parsing, the SSRF guard for hosts a user
types in (a Mastodon instance, a Bluesky PDS), a per-network concurrency cap, and retries — the latter only for
requests that are safe to send twice.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

log = logging.getLogger("parvis.http")

CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 20.0
REDACTED = "***"
SECRET_PARAMS = frozenset({
    "access_token", "refresh_token", "password", "client_secret", "code", "token", "app_password",
    "fb_exchange_token", "input_token",
})
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "dpop"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# --- Redaction ----------------------------------------------------------------------------------------------


def redact_params(query: str) -> str:
    """`a=1&access_token=xyz` → `a=1&access_token=***` (query strings and form bodies)."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")


def redact_url(url: str | httpx.URL) -> str:
    parts = urlsplit(str(url))
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, redact_params(parts.query), ""))


def redact_headers(headers) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in dict(headers).items()}


_JSON_SECRET = re.compile(
    r'("(?:' + "|".join(sorted(SECRET_PARAMS)) + r')"\s*:\s*)"[^"]*"', re.IGNORECASE
)


def redact_body(body: bytes | str, content_type: str = "") -> str:
    """A request body for a log line: form and JSON secrets masked, binary bodies summarised."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(body)} bytes>"
    else:
        text = body
    if "x-www-form-urlencoded" in content_type:
        return redact_params(text)
    return _JSON_SECRET.sub(rf'\1"{REDACTED}"', text)


def _log_request(request: httpx.Request) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("→ %s %s", request.method, redact_url(request.url))


def _log_response(response: httpx.Response) -> None:
    if log.isEnabledFor(logging.DEBUG):
        req = response.request
        log.debug("← %s %s %s", response.status_code, req.method, redact_url(req.url))


# --- Client -------------------------------------------------------------------------------------------------


def make_timeout(read: float = DEFAULT_READ_TIMEOUT_S) -> httpx.Timeout:
    # Waiting for a pooled connection counts as connecting: the request has not left yet.
    return httpx.Timeout(read, connect=CONNECT_TIMEOUT_S, pool=CONNECT_TIMEOUT_S)


def make_client(
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_READ_TIMEOUT_S,
    max_connections: int = 100,
    max_keepalive_connections: int | None = None,
    headers: dict | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A pooled, thread-safe client with sane timeouts and redacted debug logging."""
    kwargs = {}
    if base_url:
        kwargs["base_url"] = base_url
    if transport is not None:
        kwargs["transport"] = transport
    return httpx.Client(
        timeout=make_timeout(timeout),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections or max_connections,
            keepalive_expiry=30.0,
        ),
        headers={"User-Agent": "Parvis/0.1 (+https://parvis.fr)", **(headers or {})},
        event_hooks={"request": [_log_request], "response": [_log_response]},
        follow_redirects=False,
        **kwargs,
    )


class SharedClients:
    """Process-wide pooled clients, shared by all threads: each thread sticks to one of `shards` pools.

    Why not one pool: httpcore 1.0's pool walks every connection under one lock on each request and each
    response (quadratically when many are idle), so a single pool of 128 connections burns more CPU than the
    requests themselves (measured: 170 req/s at 128 threads against 800 with 8 pools of 16).
    Rebuilt after a fork: a child never reuses its parent's sockets.
    """

    def __init__(self, *, shards: int = 8, max_connections_per_shard: int = 32, **client_kwargs):
        self.shards = shards
        self.max_connections_per_shard = max_connections_per_shard
        self.client_kwargs = client_kwargs
        self._lock = threading.Lock()
        self._clients: list[httpx.Client] = []
        self._pid: int | None = None
        self._next = 0
        self._local = threading.local()

    def get(self) -> httpx.Client:
        pid = os.getpid()
        local = self._local
        if getattr(local, "pid", None) == pid and self._pid == pid and self._clients:
            return self._clients[local.index]
        with self._lock:
            if self._pid != pid or not self._clients:
                self._clients = [
                    make_client(max_connections=self.max_connections_per_shard, **self.client_kwargs)
                    for _ in range(self.shards)
                ]
                self._pid = pid
            local.index = self._next % self.shards  # round robin keeps the shards evenly loaded
            local.pid = pid
            self._next += 1
            return self._clients[local.index]

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
            self._pid = None
        for client in clients:
            client.close()


# --- Rate-limit headers -------------------------------------------------------------------------------------


def _parse_instant(value: str) -> datetime | None:
    """An HTTP date, an ISO 8601 instant (Mastodon) or None."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _meta_regain_minutes(raw: str) -> float | None:
    """Largest `estimated_time_to_regain_access` (minutes) anywhere in a Meta usage header."""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    found: list[float] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "estimated_time_to_regain_access" and isinstance(value, int | float):
                    found.append(float(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return max(found) if found else None


def retry_after_seconds(response: httpx.Response, now: datetime) -> float | None:
    """How long the network asks us to wait, in seconds, or None when it does not say.

    Reads, in order: `Retry-After` (seconds or HTTP date), `x-rate-limit-reset` / `ratelimit-reset`
    (epoch seconds, or an ISO instant as Mastodon sends), then Meta's `x-business-use-case-usage` /
    `x-app-usage` / `x-page-usage` JSON (`estimated_time_to_regain_access`, minutes).
    """
    headers = response.headers
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(float(value), 0.0)
        except ValueError:
            moment = _parse_instant(value)
            if moment is not None:
                return max((moment - now).total_seconds(), 0.0)
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            epoch = float(value)
        except ValueError:
            moment = _parse_instant(value)
            if moment is not None:
                return max((moment - now).total_seconds(), 0.0)
            continue
        return max(epoch - now.timestamp(), 0.0)
    minutes = [
        m for name in ("x-business-use-case-usage", "x-app-usage", "x-page-usage", "x-ad-account-usage")
        if (raw := headers.get(name)) and (m := _meta_regain_minutes(raw)) is not None
    ]
    if minutes:
        return max(minutes) * 60.0
    return None


# --- SSRF guard ---------------------------------------------------------------------------------------------


class UnsafeHost(ValueError):
    """A user-given address Parvis refuses to call."""


Resolver = Callable[[str, int], list[str]]


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified):
        return False
    return ip.is_global


def guard_public_host(url: str, *, allow_loopback: bool = False, resolve: Resolver | None = None) -> list[str]:
    """Refuse a user-given URL that would make Parvis call an internal machine.

    https only (http is accepted with `allow_loopback`, for tests and local peers); the name is resolved and
    every address must be public: no private, loopback, link-local (cloud metadata), multicast or reserved
    address. Returns the resolved addresses; a caller that can pin them defeats DNS rebinding.
    """
    resolve = resolve or _resolve
    parts = urlsplit(url.strip())
    allowed_schemes = {"https", "http"} if allow_loopback else {"https"}
    if parts.scheme.lower() not in allowed_schemes:
        raise UnsafeHost(f"L'adresse « {url} » doit commencer par https:// .")
    if parts.username or parts.password:
        raise UnsafeHost(f"L'adresse « {url} » ne doit pas contenir d'identifiant ni de mot de passe.")
    host = parts.hostname
    if not host:
        raise UnsafeHost(f"L'adresse « {url} » n'indique pas de nom de serveur.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise UnsafeHost(f"Le port de l'adresse « {url} » n'est pas valide.") from exc
    try:
        addresses = [host] if _is_ip(host) else resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeHost(f"Le serveur « {host} » est introuvable : vérifiez l'adresse.") from exc
    if not addresses:
        raise UnsafeHost(f"Le serveur « {host} » est introuvable : vérifiez l'adresse.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        mapped = getattr(ip, "ipv4_mapped", None) or ip
        if allow_loopback and mapped.is_loopback:
            continue
        if not _is_public(ip):
            raise UnsafeHost(
                f"Le serveur « {host} » pointe vers une adresse interne ou réservée ({address}) : "
                "Parvis refuse de l'appeler. Indiquez l'adresse publique du serveur."
            )
    return addresses


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


# --- Per-network concurrency cap ----------------------------------------------------------------------------

# How many calls Parvis makes at once to one network from one process: polite, and below the burst limits.
DEFAULT_SLOT_SIZES: dict[str, int] = {
    "facebook": 16, "instagram": 16, "threads": 16, "linkedin": 8, "x": 8, "tiktok": 8, "youtube": 4,
    "mastodon": 8, "bluesky": 16, "snapchat": 4, "sandbox": 128,
}
DEFAULT_SLOT_SIZE = 8

_slots: dict[str, threading.BoundedSemaphore] = {}
_slot_sizes: dict[str, int] = dict(DEFAULT_SLOT_SIZES)
_slots_lock = threading.Lock()


class SlotTimeout(RuntimeError):
    """No free slot for the network in time: nothing was sent."""


def configure_slots(sizes: dict[str, int]) -> None:
    """Override slot sizes (e.g. from settings); takes effect for networks not used yet in this process."""
    with _slots_lock:
        _slot_sizes.update(sizes)
        for name in sizes:
            _slots.pop(name, None)


def _semaphore(network: str) -> threading.BoundedSemaphore:
    with _slots_lock:
        sem = _slots.get(network)
        if sem is None:
            sem = _slots[network] = threading.BoundedSemaphore(_slot_sizes.get(network, DEFAULT_SLOT_SIZE))
        return sem


@contextlib.contextmanager
def network_slot(network: str, *, timeout: float | None = None) -> Iterator[None]:
    """Hold one of the network's call slots for the duration of a call."""
    sem = _semaphore(network)
    if not sem.acquire(timeout=timeout):
        raise SlotTimeout(f"{network}: trop d'appels simultanés, aucun créneau libre")
    try:
        yield
    finally:
        sem.release()


# --- Retry (idempotent requests only) -----------------------------------------------------------------------

RETRY_STATUSES = frozenset({502, 503, 504})


def request_with_retry(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    attempts: int = 3,
    idempotency_key: str | None = None,
    base_delay: float = 0.25,
    max_delay: float = 4.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    **kwargs,
) -> httpx.Response:
    """Send a request, retrying transport errors and 502/503/504 with full jitter.

    Retries only what is safe to send twice: GET/HEAD/OPTIONS, or any method carrying an
    `Idempotency-Key`. Anything else is sent exactly once, whatever `attempts` says, because a second
    POST could publish twice.
    """
    method = method.upper()
    if idempotency_key:
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Idempotency-Key"] = idempotency_key
        kwargs["headers"] = headers
    elif method not in IDEMPOTENT_METHODS:
        attempts = 1
    rng = rng or random.Random()
    for attempt in range(1, max(attempts, 1) + 1):
        last = attempt >= attempts
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError:
            if last:
                raise
        else:
            if response.status_code not in RETRY_STATUSES or last:
                return response
            response.close()
        sleep(rng.uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1))))
    raise AssertionError("unreachable")
