import pytest

from tests.factories import AuthorityFactory, ChannelFactory, team


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    # Tests render pages without a collectstatic manifest.
    # A fast hasher: each team() creates five users with a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def authority(db):
    return AuthorityFactory(slug="arras", name="Arras")


@pytest.fixture
def members(authority):
    return team(authority)


@pytest.fixture
def channels(authority):
    return [
        ChannelFactory(authority=authority, network="mastodon", handle="arras@mastodon.social"),
        ChannelFactory(authority=authority, network="x", handle="VilleArras"),
        ChannelFactory(authority=authority, network="facebook", handle="arras.fr", is_sandbox=False),
    ]


@pytest.fixture
def other(db):
    """A second authority with its own team and channel: its members must never see ours."""
    a = AuthorityFactory(slug="lens", name="Lens")
    return {"authority": a, "members": team(a), "channel": ChannelFactory(authority=a)}

