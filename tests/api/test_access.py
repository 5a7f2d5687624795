"""Every endpoint: 401 without a valid token, 404 for another authority, 403 for each role lacking the permission."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from parvis.domain.roles import Permission, Role, can
from parvis.domain.states import DeliveryState
from parvis.organisations.models import ApiToken
from parvis.publishing import actions
from parvis.publishing.models import Delivery, Publication
from tests.factories import ChannelFactory

from .conftest import BASE, Api, later

P = Permission
# (method, path, body, permission the UI requires). {c}, {p}, {d}: a channel, a draft, a failed delivery.
ENDPOINTS = [
    ("get", "", None, P.VIEW),
    ("get", "/channels", None, P.VIEW),
    ("post", "/channels", {"network": "bluesky", "handle": "ville.bsky.social"}, P.MANAGE_CHANNELS),
    ("get", "/channels/{c}", None, P.VIEW),
    ("patch", "/channels/{c}", {"tone": "chaleureux"}, P.MANAGE_CHANNELS),
    ("get", "/publications", None, P.VIEW),
    ("post", "/publications", {"title": "Marché", "body": "Marché samedi.", "channels": ["{c}"],
                               "scheduled_at": "{later}"}, P.DRAFT),
    ("get", "/publications/{p}", None, P.VIEW),
    ("patch", "/publications/{p}", {"body": "Nouveau texte."}, P.DRAFT),
    ("post", "/publications/{p}/submit", None, P.SUBMIT),
    ("post", "/publications/{p}/approve", {}, P.APPROVE),
    ("post", "/publications/{p}/reject", {"comment": "Non."}, P.APPROVE),
    ("post", "/publications/{p}/comment", {"comment": "Bien."}, P.COMMENT),
    ("post", "/publications/{p}/schedule", {"schedule_mode": "now"}, P.SCHEDULE),
    ("post", "/publications/{p}/cancel", None, P.SCHEDULE),
    ("get", "/deliveries", None, P.VIEW),
    ("get", "/deliveries/{d}", None, P.VIEW),
    ("post", "/deliveries/{d}/retry", None, P.SCHEDULE),
    ("post", "/deliveries/{d}/resolve", {"published": True, "url": "https://example.org/1"}, P.SCHEDULE),
    ("get", "/calendar?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z", None, P.VIEW),
]
IDS = [f"{m.upper()} {p}" for m, p, _, _ in ENDPOINTS]


@pytest.fixture
def objects(members):
    director = members[Role.DIRECTOR]
    channel = ChannelFactory(authority=director.authority)
    pub = actions.create_publication(director, title="Brouillon", body="Texte.", channel_ids=[channel.id],
                                     scheduled_at=timezone.now() + timedelta(days=1))
    other = Publication.objects.create(authority=director.authority, title="Ancienne", status="failed")
    delivery = Delivery.objects.create(publication=other, channel=channel, authority=director.authority,
                                       state=DeliveryState.FAILED, due_at=timezone.now(), run_after=timezone.now())
    return {"c": channel.id, "p": pub.id, "d": delivery.id, "later": later()}


def _fill(value, objects):
    if isinstance(value, str):
        filled = value.format(**objects)
        return int(filled) if value in ("{c}", "{p}", "{d}") else filled
    if isinstance(value, list):
        return [_fill(v, objects) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    return value


def call(api: Api, method: str, path: str, body, objects):
    path = path.format(**objects)
    if method == "get":
        return api.client.get(api.url(path))
    return getattr(api, method)(path, _fill(body, objects) if body is not None else None)


@pytest.mark.parametrize(("method", "path", "body", "permission"), ENDPOINTS, ids=IDS)
def test_another_authority_gets_404(outsider, objects, method, path, body, permission):
    response = call(outsider, method, path, body, objects)
    assert response.status_code == 404, response.content
    assert "detail" in response.json()


@pytest.mark.parametrize(("method", "path", "body", "permission"), ENDPOINTS, ids=IDS)
def test_without_token_401(members, objects, method, path, body, permission):
    anonymous = Api(Client(), members[Role.DIRECTOR].authority.slug)
    response = call(anonymous, method, path, body, objects)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")


LACKING = [
    (role, method, path, body, permission)
    for method, path, body, permission in ENDPOINTS
    for role in Role
    if not can(role, permission)
]


@pytest.mark.parametrize(("role", "method", "path", "body", "permission"), LACKING,
                         ids=[f"{r.value} {m.upper()} {p}" for r, m, p, _, _ in LACKING])
def test_role_lacking_permission_gets_403(as_role, objects, role, method, path, body, permission):
    before = Publication.objects.get(pk=objects["p"]).status
    response = call(as_role(role), method, path, body, objects)
    assert response.status_code == 403, response.content
    assert "Votre rôle ne permet pas" in response.json()["detail"]
    assert Publication.objects.get(pk=objects["p"]).status == before


def test_every_write_endpoint_is_refused_to_someone():
    # The table above must exercise 403s: only reads are open to every role.
    writes = [e for e in ENDPOINTS if e[0] != "get"]
    assert all(any(not can(r, e[3]) for r in Role) for e in writes)


@pytest.mark.parametrize("header", [
    "Bearer pv_unknown-token",
    "Bearer not-a-parvis-token",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer pv_" + "x" * 5000,
])
def test_unknown_or_malformed_token_401(members, header):
    response = Client(headers={"Authorization": header}).get(f"{BASE}/authorities")
    assert response.status_code == 401


def test_revoked_token_401(members):
    user = members[Role.DIRECTOR].user
    record, token = ApiToken.issue(user, "script")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get(f"{BASE}/authorities").status_code == 200
    record.delete()
    assert client.get(f"{BASE}/authorities").status_code == 401


def test_token_of_deactivated_user_401(members):
    user = members[Role.DIRECTOR].user
    _, token = ApiToken.issue(user, "script")
    user.is_active = False
    user.save()
    assert Client(headers={"Authorization": f"Bearer {token}"}).get(f"{BASE}/authorities").status_code == 401


def test_only_digest_stored_and_last_used_written_at_most_once_a_minute(members):
    record, token = ApiToken.issue(members[Role.VIEWER].user, "script")
    assert token not in {record.digest, record.prefix} and record.digest == ApiToken.hash(token)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    client.get(f"{BASE}/authorities")
    record.refresh_from_db()
    first = record.last_used_at
    assert first is not None
    client.get(f"{BASE}/authorities")
    record.refresh_from_db()
    assert record.last_used_at == first  # same minute: no write
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(f"{BASE}/authorities")
    record.refresh_from_db()
    assert record.last_used_at > first


def test_session_auth_reads_and_needs_csrf_to_write(members, objects):
    director = members[Role.DIRECTOR]
    client = Client(enforce_csrf_checks=True)
    client.force_login(director.user)
    url = f"{BASE}/authorities/{director.authority.slug}/publications/{objects['p']}/comment"
    assert client.get(f"{BASE}/authorities").status_code == 200
    refused = client.post(url, {"comment": "Vu."}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    secret = "a" * 32  # the CSRF cookie as the UI's pages set it; the header repeats it
    client.cookies["csrftoken"] = secret
    ok = client.post(url, {"comment": "Vu."}, content_type="application/json", headers={"X-CSRFToken": secret})
    assert ok.status_code == 200, ok.content


def test_openapi_schema_lists_every_path(db):
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for _, path, _, _ in ENDPOINTS:
        assert f"{BASE}/authorities/{{slug}}" + path.split("?")[0].replace("{c}", "{channel_id}").replace(
            "{p}", "{pub_id}").replace("{d}", "{delivery_id}") in paths
    assert f"{BASE}/authorities" in paths
    schemes = response.json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_docs_page_loads(db):
    assert Client().get(f"{BASE}/docs").status_code == 200
