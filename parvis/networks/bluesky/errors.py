"""XRPC error answers (`{"error": "<Name>", "message": "…"}` + HTTP status) mapped to Parvis's typed errors.

NETWORKS.md §9.8 lists the names; the PDS words are kept as the message (ContentRejected shows them to users).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from .. import errors
from ..http import retry_after_seconds

# The session is no longer usable: refresh it once, then ask the authority to reconnect.
AUTH_ERRORS = frozenset({
    "ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired", "AccountTakedown",
    "AccountDeactivated", "InvalidAuthorization", "BadJwt", "BadJwtSignature",
})
# The network refused this content: the same request will never pass.
REJECT_ERRORS = frozenset({
    "InvalidRequest", "BlobTooLarge", "PayloadTooLarge", "VideoTooLarge", "VideoTooLong",
    "UnsupportedContentType", "InvalidMimeType",
})
# Worth trying again later, nothing was created.
TRANSIENT_ERRORS = frozenset({
    "UpstreamFailure", "InternalServerError", "NotEnoughResources", "ServiceOverloaded", "UploadNotReady",
    "InvalidSwap", "UpstreamTimeout", "MethodNotImplemented",
})


def xrpc_error(response: httpx.Response) -> tuple[str, str]:
    """(error name, message) of an XRPC answer; names the HTTP status when the body is not XRPC."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        name = str(body.get("error") or "")
        message = str(body.get("message") or "")
        if name or message:
            return name, message or name
    return "", response.reason_phrase or f"HTTP {response.status_code}"


def map_error(response: httpx.Response, *, now: datetime) -> errors.NetworkError:
    """The typed error for a non-2xx XRPC answer."""
    status = response.status_code
    name, message = xrpc_error(response)
    detail = f"bluesky HTTP {status} {name}: {message}".strip()
    if status == 429 or name == "RateLimitExceeded":
        wait = retry_after_seconds(response, now)
        return errors.RateLimited(
            message, retry_after_s=wait, retry_at=now + timedelta(seconds=wait) if wait is not None else None,
            detail=detail,
        )
    if name in AUTH_ERRORS or status == 401:
        return errors.AuthExpired(message, detail=detail)
    if name in TRANSIENT_ERRORS or status >= 500:
        return errors.Transient(message, detail=detail)
    if name in REJECT_ERRORS or status in (400, 413):
        return errors.ContentRejected(message, detail=detail)
    return errors.Permanent(message, detail=detail)
