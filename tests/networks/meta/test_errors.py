"""Every Meta / Instagram error code of NETWORKS.md §1.8, §2.8 and §11.1 → one typed error."""

import json
from datetime import UTC, datetime

import httpx
import pytest

from parvis.networks import errors
from parvis.networks.meta.errors import is_gone, to_exception

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def answer(status=400, code=None, subcode=None, headers=None, **extra):
    body = {"message": f"(#{code}) message de Meta", "type": "OAuthException", "fbtrace_id": "A1"}
    if code is not None:
        body["code"] = code
    if subcode is not None:
        body["error_subcode"] = subcode
    body.update(extra)
    return httpx.Response(status, json={"error": body}, headers=headers or {})


@pytest.mark.parametrize(("status", "code", "subcode", "expected"), [
    (500, 1, None, errors.Transient),  # API unknown
    (503, 2, None, errors.Transient),  # API service
    (400, 4, None, errors.RateLimited),  # app throttling
    (400, 17, None, errors.RateLimited),  # user throttling
    (400, 32, None, errors.RateLimited),  # page throttling
    (400, 613, None, errors.RateLimited),  # calls within one hour exceeded
    (400, 341, None, errors.RateLimited),  # application limit
    (400, 80001, None, errors.RateLimited),  # BUC Pages
    (400, 80014, None, errors.RateLimited),  # last BUC code
    (400, 190, None, errors.AuthExpired),
    (400, 190, 460, errors.AuthExpired),  # password changed
    (400, 190, 463, errors.AuthExpired),  # expired
    (400, 102, None, errors.AuthExpired),  # session
    (403, 10, None, errors.Permanent),  # permission
    (403, 200, None, errors.Permanent),
    (403, 299, None, errors.Permanent),
    (400, 100, None, errors.Permanent),  # invalid parameter / removed metric
    (400, 368, None, errors.ContentRejected),  # blocked for policy
    (400, 506, None, errors.Duplicate),
    (400, 1, 1609005, errors.ContentRejected),  # link could not be read
    # Instagram subcodes win over their generic codes.
    (500, -1, 2207001, errors.Transient),
    (500, -2, 2207003, errors.Transient),
    (500, -1, 2207032, errors.Transient),
    (400, -2, 2207020, errors.Transient),  # container expired: new container next time
    (500, -1, 2207053, errors.Transient),
    (400, 24, 2207008, errors.Transient),
    (400, 9, 2207042, errors.RateLimited),  # 50 posts / 24 h
    (400, 4, 2207051, errors.ContentRejected),  # spam block, NOT a throttle although code 4
    (400, 36000, 2207004, errors.ContentRejected),  # image > 8 MiB
    (400, 1, 2207057, errors.ContentRejected),  # thumb_offset
    (502, None, None, errors.Transient),  # no Graph body
    (429, None, None, errors.RateLimited),
    (401, None, None, errors.AuthExpired),
    (400, 999999, None, errors.Permanent),  # unknown code: never retried blindly
])
def test_error_table(status, code, subcode, expected):
    exc = to_exception(answer(status, code, subcode), network="facebook", now=NOW)
    assert type(exc) is expected
    assert "fbtrace_id=A1" in exc.detail


def test_is_transient_flag_is_honoured_for_unknown_codes():
    assert type(to_exception(answer(400, 12345, is_transient=True), network="facebook", now=NOW)) is errors.Transient


@pytest.mark.parametrize(("header", "seconds"), [
    ("x-app-usage", None),  # percentages only: the network does not say how long
    ("x-business-use-case-usage", 1800.0),
])
def test_rate_limit_reads_meta_usage_headers(header, seconds):
    value = {"x-app-usage": {"call_count": 100, "total_time": 20, "total_cputime": 10},
             "x-business-use-case-usage": {"245628824887810": [
                 {"type": "pages", "call_count": 100, "total_cputime": 5, "total_time": 5,
                  "estimated_time_to_regain_access": 30}]}}[header]
    exc = to_exception(answer(400, 32, headers={header: json.dumps(value)}), network="facebook", now=NOW)
    assert isinstance(exc, errors.RateLimited) and exc.retry_after_s == seconds
    if seconds is not None:
        assert (exc.retry_at - NOW).total_seconds() == seconds


@pytest.mark.parametrize("code", [368, 506, 1])
def test_error_user_msg_is_the_message_when_meta_gives_one(code):
    sub = 2207051 if code == 1 else None
    exc = to_exception(answer(400, code if code != 1 else 4, sub, error_user_msg="Ce contenu enfreint nos règles"),
                       network="facebook", now=NOW)
    assert str(exc) == "Ce contenu enfreint nos règles"


def test_deleted_object_counts_as_gone():
    assert is_gone(answer(400, 100, 33))
    assert is_gone(httpx.Response(404))
    assert not is_gone(answer(400, 100, None))
