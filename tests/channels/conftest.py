import dataclasses

import pytest

from parvis.networks import oauth
from tests.channels import fake_provider
from tests.factories import AuthorityFactory, ChannelFactory, team


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_URL = "https://parvis.example.fr"
    settings.PARVIS_ALLOW_LOOPBACK_SERVERS = True


@pytest.fixture(scope="session")
def provider_server():
    server = fake_provider.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def provider(provider_server, monkeypatch):
    """The fake provider, standing in for every OAuth network's endpoints during the test."""
    provider_server.routes.clear()
    provider_server.seen.clear()
    base = provider_server.url
    for name, p in list(oauth.PROVIDERS.items()):
        monkeypatch.setitem(oauth.PROVIDERS, name, dataclasses.replace(
            p, authorize_url=f"{base}/{name}/authorize", token_url=f"{base}/{name}/token",
            long_lived_url=f"{base}/{name}/long" if p.long_lived_url else "",
            refresh_url=f"{base}/{name}/refresh" if p.refresh_url else ""))
    return provider_server


@pytest.fixture
def authority(db):
    return AuthorityFactory(slug="arras", name="Arras")


@pytest.fixture
def members(authority):
    return team(authority)


@pytest.fixture
def other(db):
    a = AuthorityFactory(slug="lens", name="Lens")
    return {"authority": a, "members": team(a), "channel": ChannelFactory(authority=a, network="x", is_sandbox=False)}


@pytest.fixture
def x_app(monkeypatch):
    monkeypatch.setenv("PARVIS_X_APP_ID", "x-client")
    monkeypatch.setenv("PARVIS_X_APP_SECRET", "x-secret")
