"""API fixtures: an authority with one member per role, each with a personal token, and a sandbox channel."""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from parvis.domain.roles import Role
from parvis.organisations.models import ApiToken
from tests.factories import ChannelFactory, team

BASE = "/api/v1"


@dataclass
class Api:
    """A client that speaks JSON with one member's token."""

    client: Client
    slug: str

    def url(self, path: str) -> str:
        return f"{BASE}/authorities/{self.slug}{path}"

    def get(self, path: str, **params):
        return self.client.get(self.url(path), params)

    def post(self, path: str, data=None):
        return self.client.post(self.url(path), json.dumps(data) if data is not None else "",
                                content_type="application/json")

    def patch(self, path: str, data):
        return self.client.patch(self.url(path), json.dumps(data), content_type="application/json")

    def raw(self, method: str, path: str, body: bytes | str):
        return getattr(self.client, method)(self.url(path), body, content_type="application/json")


def token_client(user) -> Client:
    _, token = ApiToken.issue(user, "tests")
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Every test creates a team; the production hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def members(db):
    return team()


@pytest.fixture
def channel(members):
    return ChannelFactory(authority=members[Role.DIRECTOR].authority, network="mastodon")


@pytest.fixture
def as_role(members):
    """as_role(Role.X) → an Api for that member of the authority."""
    cache = {}

    def make(role: Role) -> Api:
        if role not in cache:
            m = members[role]
            cache[role] = Api(token_client(m.user), m.authority.slug)
        return cache[role]

    return make


@pytest.fixture
def outsider(members):
    """A director of another authority, calling this authority's routes."""
    other = team(prefix="ailleurs")[Role.DIRECTOR]
    return Api(token_client(other.user), members[Role.DIRECTOR].authority.slug)


def later(days: int = 2) -> str:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0).isoformat()
