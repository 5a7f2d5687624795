"""Inbox fixtures: a team per authority, a sandbox channel, a running sandbox server on loopback."""

from datetime import UTC, datetime, timedelta

import pytest

from parvis.networks.types import CommentPage, RemoteComment
from tests.factories import AuthorityFactory, ChannelFactory, team
from tests.networks.conftest import start_sandbox


@pytest.fixture(scope="session")
def inbox_sandbox(tmp_path_factory):
    server = start_sandbox(str(tmp_path_factory.mktemp("inbox-sandbox") / "state.sqlite3"))
    yield server
    server.stop()


@pytest.fixture
def sandbox(inbox_sandbox, monkeypatch):
    """The sandbox the connectors talk to (PARVIS_SANDBOX_URL), reset around each test."""
    monkeypatch.setenv("PARVIS_SANDBOX_URL", inbox_sandbox.url)
    inbox_sandbox.configure(reset=True)
    yield inbox_sandbox
    inbox_sandbox.configure(reset=True)


@pytest.fixture
def authority(db):
    return AuthorityFactory(name="Arras")


@pytest.fixture
def members(authority):
    return team(authority)


@pytest.fixture
def channel(authority):
    return ChannelFactory(authority=authority, network="facebook", handle="@ville-arras")


@pytest.fixture
def other(db):
    """Another authority with its own team and channel."""
    authority = AuthorityFactory(name="Lens")
    return {"authority": authority, "members": team(authority),
            "channel": ChannelFactory(authority=authority, network="facebook", handle="@ville-lens")}


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def remote(n: int, text: str = "Bonjour, à quelle heure ouvre la piscine ?", *, author="u1", handle="camille.m",
           name="Camille Martin", post="p1", parent="", kind="comment", at=None, hidden=False) -> RemoteComment:
    return RemoteComment(remote_id=f"c{n}", post_remote_id=post, author_id=author, author_handle=handle,
                         author_name=name, text=text, created_at=at or T0 + timedelta(minutes=n),
                         parent_remote_id=parent, url=f"https://net.test/p1#c{n}", kind=kind, hidden=hidden)


def page(*comments, cursor="k1") -> CommentPage:
    return CommentPage(comments=tuple(comments), cursor=cursor)
