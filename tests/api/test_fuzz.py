"""Bad input by hand, schemathesis-style: whatever the client sends, the answer is never a 500.

Each field of each write endpoint gets wrong types, huge values, NUL bytes, naive or absurd datetimes;
bodies get malformed JSON. A 422 must name at least one field and carry French messages.
"""

import json

import pytest
from django.utils import timezone

from parvis.domain.roles import Role

from .conftest import later

GARBAGE = [
    None, True, 1.5, -1, 0, 2**70, -(2**70), "", "x" * 200_000, "a\x00b", "\ud800", [], [None], [2**70],
    {}, {"a": 1}, "2030-01-01T10:00:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
    "2030-02-30T10:00:00Z", "<script>alert(1)</script>", "' OR 1=1 --",
]
BAD_BODIES = [
    b"{bad", b"", b"null", b"[]", b'"texte"', b"1e999", b"\xff\xfe\x00", b"{" * 100_000, b'{"a": NaN}',
    json.dumps({"\x00": 1}).encode(),
]


@pytest.fixture
def targets(members, channel, as_role):
    """(method, path, valid body) of every write endpoint, on objects that exist."""
    api = as_role(Role.DIRECTOR)
    pub = api.post("/publications", {"title": "Base", "body": "Texte.", "channels": [channel.id],
                                     "scheduled_at": later()}).json()
    base_pub = {"title": "T", "body": "B", "link": "https://example.org", "channels": [channel.id],
                "media": [], "scheduled_at": later(), "schedule_mode": "at",
                "variant_texts": {str(channel.id): "V"}}
    return [
        ("post", "/channels", {"network": "mastodon", "handle": "h", "display_name": "d", "account_kind":
                               "personal", "audience": "a", "tone": "t", "themes": ["x"],
                               "slots": [{"weekday": 1, "time": "10:00"}], "target_posts_per_week": 3,
                               "is_sandbox": True}),
        ("patch", f"/channels/{channel.id}", {"tone": "t", "slots": [], "themes": [], "account_kind":
                                              "institutional", "target_posts_per_week": 2}),
        ("post", "/publications", base_pub),
        ("patch", f"/publications/{pub['id']}", base_pub),
        ("post", f"/publications/{pub['id']}/approve", {"comment": "ok"}),
        ("post", f"/publications/{pub['id']}/reject", {"comment": "non"}),
        ("post", f"/publications/{pub['id']}/comment", {"comment": "vu"}),
        ("post", f"/publications/{pub['id']}/schedule", {"scheduled_at": later(), "schedule_mode": "at"}),
        ("post", "/deliveries/1/resolve", {"published": True, "url": "https://example.org"}),
    ]


def _check(response):
    assert response.status_code < 500, response.content[:500]
    if response.status_code == 422:
        errors = response.json()["errors"]
        assert errors and all(isinstance(k, str) and k for k in errors)
        assert all(isinstance(m, str) and m for msgs in errors.values() for m in msgs)


def test_every_field_with_garbage(as_role, targets):
    api = as_role(Role.DIRECTOR)
    for method, path, body in targets:
        for field in body:
            for value in GARBAGE:
                response = getattr(api, method)(path, {**body, field: value})
                _check(response)
                if value in (2**70, "a\x00b"):  # wrong for every field, whatever its type
                    assert response.status_code == 422, (path, field, value)
                    assert any(k.split(".")[0] == field for k in response.json()["errors"]), (path, field, value)


def test_malformed_bodies(as_role, targets):
    api = as_role(Role.DIRECTOR)
    for method, path, _ in targets:
        for raw in BAD_BODIES:
            response = api.raw(method, path, raw)
            _check(response)
            # No body at all is "change nothing" where every field is optional (PATCH, approve).
            allowed = (200, 404, 409, 422) if raw == b"" else (404, 409, 422)
            assert response.status_code in allowed, (path, raw[:20], response.content[:200])


def test_malformed_json_is_a_422_on_body(as_role, channel):
    response = as_role(Role.DIRECTOR).raw("post", "/publications", b'{"title": "x",')
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["body"]
    assert response.json()["errors"]["body"][0].startswith("JSON illisible")


@pytest.mark.parametrize("path", ["/publications", "/deliveries", "/calendar"])
def test_query_garbage(as_role, path):
    api = as_role(Role.VIEWER)
    for key in ("from", "to", "status", "state", "channel", "page", "page_size"):
        for value in ("", "x", "\x00", str(2**70), "-1", "2030-01-01T10:00:00", "9999-12-31T23:59:59-23:59",
                      "2030-01-01T10:00:00+02:00"):
            params = {"from": "2030-01-01T00:00:00Z", "to": "2030-02-01T00:00:00Z"} if path == "/calendar" else {}
            _check(api.get(path, **{**params, key: value}))


def test_naive_datetime_in_query_names_the_parameter(as_role):
    response = as_role(Role.VIEWER).get("/deliveries", **{"from": "2030-01-01T10:00:00"})
    assert response.status_code == 422
    assert "fuseau" in response.json()["errors"]["from"][0]


@pytest.mark.parametrize("suffix", [
    "/publications/abc", "/publications/1e3", "/publications/-5", f"/publications/{2**70}",
    "/deliveries/%00", "/channels/0", "/publications/1%20", "/calendar?from=%00&to=%00",
])
def test_path_garbage(as_role, suffix):
    response = as_role(Role.VIEWER).client.get(as_role(Role.VIEWER).url(suffix))
    assert response.status_code in (404, 422), response.content[:200]


def test_slug_garbage(as_role):
    client = as_role(Role.VIEWER).client
    for slug in ("x%00y", "a" * 5000, "%C3%A9t%C3%A9", "..", "%2e%2e"):
        response = client.get(f"/api/v1/authorities/{slug}/publications")
        assert response.status_code == 404, (slug, response.status_code)


def test_datetime_far_in_future_but_valid_is_accepted(as_role, channel):
    far = (timezone.now().replace(year=2099)).isoformat()
    response = as_role(Role.DIRECTOR).post("/publications", {"title": "x", "channels": [channel.id],
                                                             "scheduled_at": far})
    assert response.status_code == 201
