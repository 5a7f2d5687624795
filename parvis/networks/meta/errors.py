"""Meta Graph API error codes (NETWORKS.md §1.8, §2.8, §11.1) mapped to Parvis typed errors, as data.

Subcodes are looked at first: Instagram reuses generic codes (4, 9, -1, -2) with a subcode that says what
really happened (4 / 2207051 is a spam block, not a throttle).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from .. import errors
from ..http import retry_after_seconds

TRANSIENT = "transient"
RATE_LIMITED = "rate_limited"
AUTH = "auth"
PERMANENT = "permanent"
REJECTED = "rejected"
DUPLICATE = "duplicate"

# error_subcode → class (checked before the code).
SUBCODES: dict[int, str] = {
    2207001: TRANSIENT,  # Instagram server error
    2207003: TRANSIENT,  # media download timeout
    2207032: TRANSIENT,  # create media failed
    2207020: TRANSIENT,  # container expired: a new container is made on the next attempt
    2207053: TRANSIENT,  # unknown video upload error: new container
    2207008: TRANSIENT,  # media builder not ready / not found
    2207042: RATE_LIMITED,  # 50 posts per 24 h reached
    2207051: REJECTED,  # activity restricted as spam
    2207004: REJECTED,  # image larger than 8 MiB
    2207057: REJECTED,  # thumb_offset out of range
    1609005: REJECTED,  # link could not be read by Meta
    458: AUTH, 459: AUTH, 460: AUTH, 463: AUTH, 464: AUTH, 467: AUTH,  # token states (with code 190)
}

# code → class.
CODES: dict[int, str] = {
    1: TRANSIENT, 2: TRANSIENT, -1: TRANSIENT, -2: TRANSIENT,
    4: RATE_LIMITED, 17: RATE_LIMITED, 32: RATE_LIMITED, 341: RATE_LIMITED, 613: RATE_LIMITED,
    **{code: RATE_LIMITED for code in range(80001, 80015)},  # Business Use Case throttling
    9: RATE_LIMITED,
    190: AUTH, 102: AUTH,
    10: PERMANENT, **{code: PERMANENT for code in range(200, 300)}, 100: PERMANENT,
    368: REJECTED, 36000: REJECTED,
    506: DUPLICATE,
}

# Graph answers code 100 / subcode 33 for an object that no longer exists.
GONE_SUBCODE = 33


def error_object(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def classify(error: dict, status: int) -> str:
    """The class of a Graph error object (and the HTTP status when the body says nothing)."""
    subcode = _int(error.get("error_subcode"))
    code = _int(error.get("code"))
    if subcode in SUBCODES:
        return SUBCODES[subcode]
    if code in CODES:
        return CODES[code]
    if error.get("is_transient") is True:
        return TRANSIENT
    if status == 429:
        return RATE_LIMITED
    if status == 401:
        return AUTH
    if status >= 500 or status == 0:
        return TRANSIENT
    return PERMANENT


def is_gone(response: httpx.Response) -> bool:
    """The object is already deleted (deleting twice is not an error)."""
    if response.status_code == 404:
        return True
    error = error_object(response)
    return _int(error.get("code")) == 100 and _int(error.get("error_subcode")) == GONE_SUBCODE


def to_exception(response: httpx.Response, *, network: str, now: datetime) -> errors.NetworkError:
    """The typed error for a failed Graph answer; its message is the network's own words."""
    error = error_object(response)
    kind = classify(error, response.status_code)
    words = str(error.get("message") or response.reason_phrase or response.status_code)
    user_words = str(error.get("error_user_msg") or "")
    code, subcode = error.get("code"), error.get("error_subcode")
    detail = f"{network} HTTP {response.status_code} code={code} subcode={subcode} fbtrace_id=" \
             f"{error.get('fbtrace_id', '')}: {words}"
    exc = _build(kind, response, words, user_words, detail, now)
    exc.graph_code = _int(code)  # for callers that act on one code (100: a removed metric)
    exc.graph_subcode = _int(subcode)
    return exc


def _build(kind: str, response: httpx.Response, words: str, user_words: str, detail: str,
           now: datetime) -> errors.NetworkError:
    if kind == RATE_LIMITED:
        wait = retry_after_seconds(response, now)
        return errors.RateLimited(
            user_words or words, retry_after_s=wait,
            retry_at=now + timedelta(seconds=wait) if wait is not None else None, detail=detail,
        )
    if kind == AUTH:
        return errors.AuthExpired(words, detail=detail)
    if kind == REJECTED:
        return errors.ContentRejected(user_words or words, detail=detail)
    if kind == DUPLICATE:
        exc = errors.Duplicate(user_words or words, detail=detail)
        exc.remote_id = ""
        exc.url = ""
        return exc
    if kind == TRANSIENT:
        return errors.Transient(words, detail=detail)
    return errors.Permanent(user_words or words, detail=detail)
