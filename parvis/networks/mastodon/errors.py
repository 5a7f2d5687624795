"""Mastodon.py exceptions → Parvis typed errors (NETWORKS.md §8.8 and §11.1).

`may_have_published` says whether the failed request could have created a status (a POST of a status,
a reply): only then does a timeout or a cut connection mean "outcome unknown". A media upload, a read or
a delete that fails that way published nothing: transient.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests
from mastodon import errors as mastodon_errors
from urllib3 import exceptions as urllib3_errors

from .. import errors

# urllib3 reasons that prove the request never left this machine.
_NOT_SENT = (
    urllib3_errors.NewConnectionError,  # includes NameResolutionError and connection refused
    urllib3_errors.ConnectTimeoutError,
)

# 403 messages that mean the token itself is the problem (scope taken away, account disabled).
_AUTH_403_WORDS = ("scope", "disabled", "suspended", "not approved", "confirm", "login")


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of a MastodonAPIError (args: message, status, reason, error), or None."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[1], int):
        return args[1]
    return None


def server_words(exc: BaseException) -> str:
    """The server's own error text (Mastodon's `error` field), or the exception's text."""
    args = getattr(exc, "args", ())
    if len(args) >= 4 and isinstance(args[3], str) and args[3].strip():
        return args[3].strip()
    if len(args) >= 3 and isinstance(args[2], str) and args[2].strip():
        return args[2].strip()
    return str(exc) or type(exc).__name__


def _causes(exc: BaseException):
    seen = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        yield node
        node = node.__cause__ or node.__context__


def never_sent(exc: BaseException) -> bool:
    """True when the chain proves nothing reached the server (connection refused, DNS, connect timeout,
    TLS handshake)."""
    for node in _causes(exc):
        if isinstance(node, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
            return True
        if isinstance(node, _NOT_SENT):
            return True
        if isinstance(node, urllib3_errors.MaxRetryError) and isinstance(node.reason, _NOT_SENT):
            return True
        if isinstance(node, requests.exceptions.ConnectionError):
            reason = node.args[0] if node.args else None
            if isinstance(reason, urllib3_errors.MaxRetryError) and isinstance(reason.reason, _NOT_SENT):
                return True
            if isinstance(reason, _NOT_SENT):
                return True
    return False


def map_error(exc: BaseException, *, may_have_published: bool = False, ratelimit_reset: float | None = None,
              now: datetime | None = None) -> errors.NetworkError:
    """The typed error for a Mastodon.py exception. `ratelimit_reset` is the client's `ratelimit_reset`
    (epoch seconds, already corrected for the server's clock by Mastodon.py). The result carries
    `http_status` (None when no HTTP answer was read)."""
    mapped = _map(exc, may_have_published=may_have_published, ratelimit_reset=ratelimit_reset,
                  now=now or datetime.now(UTC))
    if not hasattr(mapped, "http_status"):
        mapped.http_status = http_status(exc) if not isinstance(
            exc, mastodon_errors.MastodonRatelimitError) else 429
    return mapped


def _map(exc: BaseException, *, may_have_published: bool, ratelimit_reset: float | None,
         now: datetime) -> errors.NetworkError:
    if isinstance(exc, errors.NetworkError):
        return exc
    name = type(exc).__name__
    if isinstance(exc, mastodon_errors.MastodonRatelimitError):
        wait = max(ratelimit_reset - now.timestamp(), 0.0) if ratelimit_reset else None
        return errors.RateLimited(
            "Limite d'appels Mastodon atteinte", retry_after_s=wait,
            retry_at=now + timedelta(seconds=wait) if wait is not None else None,
            detail=f"mastodon HTTP 429: {exc}",
        )
    if isinstance(exc, mastodon_errors.MastodonNetworkError):  # includes MastodonReadTimeout
        detail = f"mastodon {name}: {exc}"
        if may_have_published and not never_sent(exc):
            return errors.OutcomeUnknown("réponse de Mastodon non reçue", detail=detail)
        return errors.Transient("serveur Mastodon injoignable", detail=detail)
    if isinstance(exc, mastodon_errors.MastodonAPIError):
        status = http_status(exc)
        words = server_words(exc)
        detail = f"mastodon HTTP {status}: {words}" if status else f"mastodon {name}: {words}"
        if status is None:  # a 2xx we could not read: the status may exist
            if may_have_published:
                return errors.OutcomeUnknown("réponse de Mastodon illisible", detail=detail)
            return errors.Transient("réponse de Mastodon illisible", detail=detail)
        if status == 401:
            return errors.AuthExpired(words, detail=detail)
        if status == 403:
            if any(word in words.lower() for word in _AUTH_403_WORDS):
                return errors.AuthExpired(words, detail=detail)
            return errors.Permanent(words, detail=detail)
        if status == 404:
            return errors.Permanent(f"introuvable sur Mastodon : {words}", detail=detail)
        if status == 422:
            return errors.ContentRejected(words, detail=detail)
        if status == 429:  # only when Mastodon.py was told not to handle it
            return errors.RateLimited(words, detail=detail)
        if status == 504 and may_have_published:
            # A gateway timeout: the instance behind the proxy may have created the status.
            return errors.OutcomeUnknown(words, detail=detail)
        if status >= 500 or status in (408, 425):
            return errors.Transient(words, detail=detail)
        return errors.Permanent(words, detail=detail)
    if isinstance(exc, mastodon_errors.MastodonIOError):  # a local media file that cannot be read
        return errors.Permanent(f"fichier média illisible : {exc}", detail=f"mastodon {name}: {exc}")
    if isinstance(exc, mastodon_errors.MastodonError | ValueError):  # illegal argument, version
        return errors.Permanent(str(exc), detail=f"mastodon {name}: {exc}")
    if may_have_published:
        return errors.OutcomeUnknown(str(exc) or name, detail=f"{name}: {exc}")
    return errors.Transient(str(exc) or name, detail=f"{name}: {exc}")
