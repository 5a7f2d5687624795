"""Pure parts, table-tested: error mapping, the invisible signature, status HTML to text."""

from datetime import UTC, datetime

import pytest
import requests
from mastodon import errors as me
from urllib3 import exceptions as u3

from parvis.domain.text import count_length, extract_hashtags, extract_mentions, extract_urls
from parvis.networks import errors
from parvis.networks.mastodon.content import html_to_text
from parvis.networks.mastodon.errors import map_error, never_sent
from parvis.networks.mastodon.marker import carries_marker, marker_suffix, strip_markers, with_marker

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def api_error(cls, status, words):
    """Exactly how Mastodon.py raises: (message, status, reason, server's error)."""
    return cls("Mastodon API returned error", status, "Reason", words)


def wrapped(inner: BaseException) -> me.MastodonNetworkError:
    """Mastodon.py wraps every requests failure: `raise MastodonNetworkError(...)` inside `except`."""
    try:
        try:
            raise inner
        except Exception as exc:
            raise me.MastodonNetworkError(f"Could not complete request: {exc}") from None
    except me.MastodonNetworkError as outer:
        outer.__context__ = inner
        return outer


REFUSED = requests.exceptions.ConnectionError(
    u3.MaxRetryError(None, "/api/v1/statuses", u3.NewConnectionError(None, "Connection refused")))
RESET = requests.exceptions.ConnectionError(
    u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


@pytest.mark.parametrize(("exc", "writing", "expected", "words"), [
    # HTTP answers (NETWORKS.md §8.8)
    (api_error(me.MastodonUnauthorizedError, 401, "The access token is invalid"), True, errors.AuthExpired,
     "The access token is invalid"),
    (api_error(me.MastodonAPIError, 403, "This action is outside the authorized scopes"), True,
     errors.AuthExpired, None),
    (api_error(me.MastodonAPIError, 403, "Your login is currently disabled"), False, errors.AuthExpired, None),
    (api_error(me.MastodonAPIError, 403, "This action is not allowed"), True, errors.Permanent, None),
    (api_error(me.MastodonNotFoundError, 404, "Record not found"), False, errors.Permanent, None),
    (api_error(me.MastodonAPIError, 422, "Validation failed: Text character limit of 500 exceeded"), True,
     errors.ContentRejected, "Validation failed: Text character limit of 500 exceeded"),
    (api_error(me.MastodonAPIError, 422, "Cannot attach files that have not finished processing."), True,
     errors.ContentRejected, None),
    (api_error(me.MastodonInternalServerError, 500, "An unexpected error occurred"), True, errors.Transient, None),
    (api_error(me.MastodonBadGatewayError, 502, None), True, errors.Transient, None),
    (api_error(me.MastodonServiceUnavailableError, 503, "Maintenance"), True, errors.Transient, None),
    # a gateway timeout on a POST: the instance may have created the status behind the proxy
    (api_error(me.MastodonGatewayTimeoutError, 504, None), True, errors.OutcomeUnknown, None),
    (api_error(me.MastodonGatewayTimeoutError, 504, None), False, errors.Transient, None),
    (api_error(me.MastodonAPIError, 410, "Gone"), False, errors.Permanent, None),
    # a 2xx Mastodon.py could not parse: the status may exist
    (me.MastodonAPIError("Could not parse response as JSON, response code was 200"), True,
     errors.OutcomeUnknown, None),
    # transport: sent or not?
    (wrapped(requests.exceptions.ReadTimeout("read timeout=20")), True, errors.OutcomeUnknown, None),
    (wrapped(requests.exceptions.ReadTimeout("read timeout=20")), False, errors.Transient, None),
    (wrapped(RESET), True, errors.OutcomeUnknown, None),
    (wrapped(REFUSED), True, errors.Transient, None),
    (wrapped(requests.exceptions.ConnectTimeout("connect timeout=5")), True, errors.Transient, None),
    (wrapped(requests.exceptions.SSLError("certificate verify failed")), True, errors.Transient, None),
    # local problems
    (me.MastodonFileNotFoundError("Could not load media file '/x.png'"), False, errors.Permanent, None),
    (me.MastodonIllegalArgumentError("Invalid visibility value!"), True, errors.Permanent, None),
    (me.MastodonVersionError("Version check failed"), True, errors.Permanent, None),
])
def test_error_mapping(exc, writing, expected, words):
    mapped = map_error(exc, may_have_published=writing, now=NOW)
    assert type(mapped) is expected
    if words:
        assert str(mapped) == words
    assert mapped.detail


@pytest.mark.parametrize(("reset", "wait"), [
    (NOW.timestamp() + 120, 120.0),  # X-RateLimit-Reset 2 minutes ahead
    (NOW.timestamp() - 5, 0.0),  # already past: retry at once
    (None, None),  # the server said nothing: the ledger's own backoff
])
def test_rate_limit_carries_the_reset_time(reset, wait):
    mapped = map_error(me.MastodonRatelimitError("Hit rate limit."), ratelimit_reset=reset, now=NOW)
    assert isinstance(mapped, errors.RateLimited) and mapped.http_status == 429
    assert mapped.retry_after_s == wait
    assert mapped.retry_at == (None if wait is None else NOW.replace() + (mapped.retry_at - NOW))
    if wait is not None:
        assert (mapped.retry_at - NOW).total_seconds() == wait


def test_never_sent_reads_the_whole_chain():
    assert never_sent(wrapped(REFUSED)) and not never_sent(wrapped(RESET))


# --- the invisible signature ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "cost"), [
    ("Marché de Noël samedi", 0),
    ("Programme : https://www.example.fr/agenda", 0),  # a trailing link stays whole
    ("Venez nombreux #Noël", 0),  # a trailing hashtag stays whole
    ("Question pour @ada@mastodon.example", 0),
    ("Bonne année 🎉", 0),  # a trailing emoji
    ("Drapeau 🏳️‍🌈", 0),  # a trailing ZWJ sequence
    ("Ligne 1\nhttps://example.fr\n", 0),  # trailing line break
    ("a" * 500, 0),  # exactly at the limit, no whitespace
    ("Rendez-vous samedi.", 0),
    ("Infos https://a.example/x https://b.example/y #Noël @ada", 0),
    ("https://example.fr/seul", 2),  # nothing but a link: signature and a space before it
    ("#Noël @ada", 2),
    ("", 1),  # media-only status
])
def test_signature_costs_no_character_and_keeps_links_tags_mentions(text, cost):
    marker = "6f1c1a34-8a43-4b6f-9d0c-2b1f6d1e7a55"
    signed = with_marker(text, marker)
    assert count_length("mastodon", signed) == count_length("mastodon", text) + cost
    assert carries_marker(signed, marker) and not carries_marker(signed, "autre")
    assert strip_markers(signed) == text
    assert extract_urls(signed) == extract_urls(text)
    assert extract_hashtags(signed) == extract_hashtags(text)
    assert extract_mentions(signed) == extract_mentions(text)
    after = signed.index(marker_suffix(marker)) + len(marker_suffix(marker))
    assert after == len(signed) or signed[after].isspace()


def test_signatures_differ_and_are_not_found_in_plain_text():
    a, b = marker_suffix("a"), marker_suffix("b")
    assert a != b and len(a) == len(b) == 49
    assert not carries_marker("texte sans signature", "a")
    assert not carries_marker(with_marker("x", "a"), "")


# --- status HTML ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "text"), [
    ("<p>Bonjour</p>", "Bonjour"),
    ("<p>Ligne 1<br>Ligne 2</p><p>Paragraphe</p>", "Ligne 1\nLigne 2\n\nParagraphe"),
    ('<p><span class="h-card"><a href="https://m.example/@ada" class="u-url mention">@<span>ada</span></a></span>'
     " merci &amp; bravo &lt;3</p>", "@ada merci & bravo <3"),
    ('<p><a href="https://example.fr/a/b"><span class="invisible">https://</span>'
     '<span class="ellipsis">example.fr/a</span><span class="invisible">/b</span></a></p>',
     "https://example.fr/a/b"),
    ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<script>alert(1)</script>"),
    ("", ""),
])
def test_html_to_text(content, text):
    assert html_to_text(content) == text
