"""Rules of the Bluesky connector that need no network: facets, error mapping, record keys, host guard."""

from datetime import UTC, datetime

import httpx
import pytest

from parvis.networks import errors
from parvis.networks.bluesky.connector import BlueskyConnector, parse_at_uri, post_url, rkey_for
from parvis.networks.bluesky.errors import map_error
from parvis.networks.bluesky.facets import LINK, MENTION, TAG, build_facets
from parvis.networks.types import Credentials

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DIDS = {"ville.bsky.social": "did:plc:ville", "mairie.fr": "did:plc:mairie"}


def _spans(text: str) -> list[tuple[str, str]]:
    """(the bytes each facet covers, decoded; its feature type) — what a reader of the record sees."""
    raw = text.encode("utf-8")
    return [(raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode("utf-8"), f["features"][0]["$type"])
            for f in build_facets(text, DIDS.get)]


@pytest.mark.parametrize("text, expected", [
    ("Inscriptions ouvertes ! https://ville.fr/inscriptions #rentrée",
     [("https://ville.fr/inscriptions", LINK), ("#rentrée", TAG)]),
    # accents and an emoji before the entities move every byte offset
    ("Fête à Arlès 🎉🇫🇷 : https://arles.fr/fête #Noël @ville.bsky.social",
     [("https://arles.fr/fête", LINK), ("#Noël", TAG), ("@ville.bsky.social", MENTION)]),
    # sentence punctuation is not part of a link
    ("Voir https://ville.fr/agenda. Merci", [("https://ville.fr/agenda", LINK)]),
    # a fragment inside a link is not a hashtag, the hashtag after it is
    ("https://ville.fr/page#section puis #section", [("https://ville.fr/page#section", LINK), ("#section", TAG)]),
    # an unknown handle stays plain text; a Mastodon address is not a Bluesky mention
    ("Merci @inconnu.bsky.social et @mairie@mastodon.social", []),
    ("Avec @mairie.fr !", [("@mairie.fr", MENTION)]),
    # "#2026" is not a hashtag; a 65-grapheme tag is over Bluesky's limit
    ("Budget #2026 #" + "a" * 65, []),
    ("Rien à signaler", []),
])
def test_facets_cover_exactly_the_entities_at_utf8_byte_offsets(text, expected):
    assert _spans(text) == expected


def test_facet_offsets_are_bytes_not_characters():
    facet = build_facets("é🎉 #fête")[0]
    assert facet["index"] == {"byteStart": 7, "byteEnd": 13}  # é=2 bytes, 🎉=4, space=1
    assert facet["features"] == [{"$type": TAG, "tag": "fête"}]


def test_bare_domain_links_to_https():
    assert build_facets("Rendez-vous sur www.arras.fr")[0]["features"][0]["uri"] == "https://www.arras.fr"


def _response(status: int, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers or {},
                          request=httpx.Request("POST", "https://pds.example/xrpc/x"))


@pytest.mark.parametrize("status, name, headers, expected", [
    (400, "ExpiredToken", {}, errors.AuthExpired),
    (401, "InvalidToken", {}, errors.AuthExpired),
    (401, "AuthMissing", {}, errors.AuthExpired),
    (401, "AuthenticationRequired", {}, errors.AuthExpired),
    (400, "AccountTakedown", {}, errors.AuthExpired),
    (429, "RateLimitExceeded", {"ratelimit-reset": str(int(NOW.timestamp()) + 120)}, errors.RateLimited),
    (400, "InvalidRequest", {}, errors.ContentRejected),
    (413, "PayloadTooLarge", {}, errors.ContentRejected),
    (400, "VideoTooLarge", {}, errors.ContentRejected),
    (400, "VideoTooLong", {}, errors.ContentRejected),
    (400, "UnsupportedContentType", {}, errors.ContentRejected),
    (400, "InvalidSwap", {}, errors.Transient),
    (502, "UpstreamFailure", {}, errors.Transient),
    (500, "InternalServerError", {}, errors.Transient),
    (503, "ServiceOverloaded", {}, errors.Transient),
    (400, "UploadNotReady", {}, errors.Transient),
    (403, "Forbidden", {}, errors.Permanent),
    (404, "", {}, errors.Permanent),
])
def test_xrpc_errors_map_to_typed_errors(status, name, headers, expected):
    error = map_error(_response(status, {"error": name, "message": f"mots du PDS {name}"}, headers), now=NOW)
    assert type(error) is expected
    assert str(error) == f"mots du PDS {name}"  # the network's words, shown to the user
    assert name in error.detail


def test_rate_limit_waits_until_the_reset_header():
    error = map_error(_response(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                                {"ratelimit-reset": str(int(NOW.timestamp()) + 120)}), now=NOW)
    assert error.retry_after_s == 120 and error.retry_at == datetime(2026, 11, 20, 9, 2, tzinfo=UTC)


def test_invalid_request_keeps_the_pds_words():
    error = map_error(_response(400, {"error": "InvalidRequest",
                                      "message": "Invalid app.bsky.feed.post record: Record/text must not be "
                                                 "longer than 300 graphemes"}), now=NOW)
    assert isinstance(error, errors.ContentRejected) and "300 graphemes" in str(error)


@pytest.mark.parametrize("marker", ["0b7f8c9e-6a1d-4f3e-9c2b-5d8e7f6a1b2c", "x", "é", "m#1"])
def test_rkey_is_a_stable_valid_tid(marker):
    rkey = rkey_for(marker)
    assert rkey == rkey_for(marker)
    assert len(rkey) == 13 and rkey[0] in "234567abcdefghij"
    assert set(rkey) <= set("234567abcdefghijklmnopqrstuvwxyz")


def test_rkeys_of_different_markers_differ():
    assert len({rkey_for(f"marker-{i}") for i in range(2000)}) == 2000


def test_at_uri_and_post_url():
    uri = "at://did:plc:abc/app.bsky.feed.post/3kxyz"
    assert parse_at_uri(uri) == ("did:plc:abc", "app.bsky.feed.post", "3kxyz")
    assert post_url("ville.bsky.social", uri) == "https://bsky.app/profile/ville.bsky.social/post/3kxyz"
    with pytest.raises(errors.Permanent):
        parse_at_uri("https://bsky.app/profile/x/post/y")


@pytest.mark.parametrize("url", ["http://127.0.0.1:2583", "https://10.0.0.5", "https://169.254.169.254",
                                 "http://bsky.social"])
def test_internal_or_plain_http_pds_is_refused_before_any_request(url):
    connector = BlueskyConnector(Credentials("ville.test", {"app_password": "x"}), base_url=url)
    with pytest.raises(errors.Permanent, match="Parvis refuse|https://"):
        connector.find_by_marker("m")


def test_undeclared_delete_comment_raises():
    connector = BlueskyConnector(Credentials("ville.test", {}))
    assert "delete_comment" not in connector.capabilities
    with pytest.raises(NotImplementedError):
        connector.delete_comment("at://did:plc:x/app.bsky.feed.post/y")
