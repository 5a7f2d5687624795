"""Keeping tokens alive: proactive refresh, reconnection when it fails, alerts before unrenewable tokens expire."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from parvis.channels import connect, tasks
from parvis.channels.crypto import decrypt, encrypt
from parvis.channels.models import Channel
from parvis.domain.roles import Role
from parvis.networks import errors, registry
from parvis.networks.base import Connector
from parvis.ops import clock
from tests.factories import ChannelFactory
from tests.web.helpers import publication

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


# --- Which alert is due: a pure rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("left, sent, expected", [
    (timedelta(days=8), [], None),
    (timedelta(days=7, seconds=1), [], None),
    (timedelta(days=7), [], "7d"),
    (timedelta(days=3), [], "7d"),
    (timedelta(days=3), ["7d"], None),
    (timedelta(days=1), ["7d"], "1d"),
    (timedelta(hours=5), ["7d"], "1d"),
    (timedelta(hours=5), [], "1d"),  # connected 5 hours before expiry: the closest alert only
    (timedelta(hours=5), ["7d", "1d"], None),
    (timedelta(hours=5), ["1d"], None),
    (timedelta(0), [], None),  # expired: that is "reconnect", not an alert
    (-timedelta(days=1), [], None),
])
def test_due_alert(left, sent, expected):
    assert connect.due_alert(NOW + left, NOW, sent) == expected


# --- Refresh -----------------------------------------------------------------------------------------------------



@pytest.fixture
def x_channel(authority, x_app):
    return ChannelFactory(authority=authority, network="x", handle="VilleArras", is_sandbox=False,
                          token_expires_at=NOW + timedelta(minutes=10),
                          credentials=encrypt({"access_token": "AT1", "refresh_token": "RT1"}))


@pytest.mark.django_db
def test_refresh_renews_tokens_within_the_margin_and_keeps_the_refresh_token(provider, x_channel, members):
    provider.answer("POST /x/token", 200, {"access_token": "AT2", "expires_in": 7200})
    assert connect.refresh_expiring(NOW) == {"refreshed": 1, "reconnect": 0, "failed": 0}
    x_channel.refresh_from_db()
    creds = decrypt(x_channel.credentials)
    assert creds["access_token"] == "AT2" and creds["refresh_token"] == "RT1"
    assert x_channel.token_expires_at == NOW + timedelta(hours=2) and x_channel.status == Channel.Status.ACTIVE
    (req,) = provider.requests_to("POST /x/token")
    assert req.form["refresh_token"] == "RT1" and req.headers["Authorization"].startswith("Basic ")
    # Two hours left is outside X's 30-minute margin: nothing more to do.
    assert connect.refresh_expiring(NOW) == {"refreshed": 0, "reconnect": 0, "failed": 0}
    assert len(provider.requests_to("POST /x/token")) == 1


@pytest.mark.django_db
def test_tokens_far_from_expiry_and_sandbox_channels_are_left_alone(provider, authority, x_app):
    ChannelFactory(authority=authority, network="x", is_sandbox=False, token_expires_at=NOW + timedelta(hours=1),
                   credentials=encrypt({"refresh_token": "RT"}))
    ChannelFactory(authority=authority, network="x", is_sandbox=True, token_expires_at=NOW + timedelta(minutes=1),
                   credentials=encrypt({"refresh_token": "RT"}))
    assert connect.refresh_expiring(NOW)["refreshed"] == 0 and not provider.seen


@pytest.mark.django_db
def test_refused_refresh_marks_reconnect_mails_owners_keeps_deliveries_and_reconnection_resumes_them(
        provider, x_channel, members, authority, client):
    when = timezone.now() + timedelta(hours=1)
    delivery = publication(authority, [x_channel], status="approved", deliveries=True, when=when).deliveries.get()
    provider.answer("POST /x/token", 400, {"error": "invalid_grant", "error_description": "revoked"})
    assert connect.refresh_expiring(NOW)["reconnect"] == 1
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.RECONNECT
    (message,) = mail.outbox
    assert sorted(message.to) == sorted([members[Role.DIRECTOR].user.email, members[Role.COMMUNITY_MANAGER].user.email])
    assert "Reconnexion nécessaire" in message.subject and "\n" not in message.subject
    assert f"https://parvis.example.fr/a/arras/comptes/{x_channel.pk}/connexion/" in message.body
    delivery.refresh_from_db()
    assert delivery.state == "scheduled"  # kept, waiting for the reconnection
    # A second run does not mail again.
    assert connect.refresh_expiring(NOW)["reconnect"] == 0 and len(mail.outbox) == 1

    # The community manager reconnects: the channel is active, its delivery leaves now.
    Delivery = type(delivery)
    Delivery.objects.filter(pk=delivery.pk).update(run_after=timezone.now() - timedelta(minutes=5))
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    r = client.post(f"/a/arras/comptes/{x_channel.pk}/connexion/")
    state = parse_qs(urlsplit(r["Location"]).query)["state"][0]
    provider.answer("POST /x/token", 200, {"access_token": "AT-NEW", "refresh_token": "RT-NEW", "expires_in": 7200})
    assert client.get("/connexion/retour/", {"state": state, "code": "c"}).status_code == 302
    x_channel.refresh_from_db()
    delivery.refresh_from_db()
    assert x_channel.status == Channel.Status.ACTIVE
    assert delivery.state == "scheduled" and delivery.run_after >= timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db
def test_a_network_outage_is_retried_later_not_a_reconnection(provider, x_channel):
    provider.answer("POST /x/token", 503, {"error": "down"})
    assert connect.refresh_expiring(NOW) == {"refreshed": 0, "reconnect": 0, "failed": 1}
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.ACTIVE and not mail.outbox
    # ... unless the token has died meanwhile.
    assert connect.refresh_expiring(NOW + timedelta(minutes=11))["reconnect"] == 1


class RefreshingConnector(Connector):
    network = "bluesky"
    capabilities = frozenset({"publish", "lookup", "refresh"})
    outcome: object = None

    def publish(self, post):
        raise NotImplementedError

    def find_by_marker(self, marker):
        return None

    def refresh_credentials(self):
        if isinstance(RefreshingConnector.outcome, Exception):
            raise RefreshingConnector.outcome
        return RefreshingConnector.outcome


@pytest.mark.django_db
@pytest.mark.parametrize("outcome, status, kept", [
    ({"access_jwt": "AJ2", "refresh_jwt": "", "expires_at": "2026-11-20T11:00:00+00:00"}, "active", "RJ1"),
    ({"access_jwt": "AJ2", "refresh_jwt": "RJ2", "expires_at": "2026-11-20T11:00:00+00:00"}, "active", "RJ2"),
    (errors.AuthExpired("ExpiredToken"), "reconnect", "RJ1"),
])
def test_the_connectors_own_refresh_is_used_first(authority, members, monkeypatch, outcome, status, kept):
    monkeypatch.setitem(registry.CONNECTORS, "bluesky", RefreshingConnector)
    RefreshingConnector.outcome = outcome
    ch = ChannelFactory(authority=authority, network="bluesky", is_sandbox=False,
                        token_expires_at=NOW + timedelta(minutes=30),
                        credentials=encrypt({"access_jwt": "AJ1", "refresh_jwt": "RJ1"}))
    connect.refresh_expiring(NOW)
    ch.refresh_from_db()
    assert ch.status == status and decrypt(ch.credentials)["refresh_jwt"] == kept
    if status == "active":
        assert ch.token_expires_at == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert len(mail.outbox) == (1 if status == "reconnect" else 0)


# --- Alerts for tokens Parvis cannot renew -------------------------------------------------------------------------


@pytest.mark.django_db
def test_alerts_at_7_and_1_days_once_each_then_reconnect(authority, members):
    expiry = NOW + timedelta(days=30)
    # LinkedIn without a programmatic refresh token: only a person can renew it.
    ch = ChannelFactory(authority=authority, network="linkedin", handle="ville-d-arras", is_sandbox=False,
                        token_expires_at=expiry, credentials=encrypt({"access_token": "LI"}))
    ok = ChannelFactory(authority=authority, network="x", handle="renewable", is_sandbox=False,
                        token_expires_at=expiry, credentials=encrypt({"refresh_token": "RT"}))
    owners = sorted([members[Role.DIRECTOR].user.email, members[Role.COMMUNITY_MANAGER].user.email])
    steps = [  # (instant, alerts sent by this run)
        (expiry - timedelta(days=8), 0),
        (expiry - timedelta(days=7), 1),
        (expiry - timedelta(days=6, hours=23), 0),
        (expiry - timedelta(days=2), 0),
        (expiry - timedelta(hours=23), 1),
        (expiry - timedelta(hours=1), 0),
    ]
    for instant, count in steps:
        assert connect.expiry_alerts(instant) == count, instant
    assert [m.subject for m in mail.outbox] == [
        f"[Parvis] La connexion de LinkedIn · ville-d-arras expire dans {w}" for w in ("7 jours", "1 jour")]
    assert all(sorted(m.to) == owners for m in mail.outbox)
    assert f"/a/arras/comptes/{ch.pk}/connexion/" in mail.outbox[0].body
    ch.refresh_from_db()
    assert ch.expiry_alerts_sent == ["7d", "1d"] and ch.status == Channel.Status.ACTIVE

    assert connect.expiry_alerts(expiry + timedelta(minutes=1)) == 0
    ch.refresh_from_db()
    ok.refresh_from_db()
    assert ch.status == Channel.Status.RECONNECT and ok.status == Channel.Status.ACTIVE
    assert "Reconnexion nécessaire" in mail.outbox[-1].subject and len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_new_token_starts_a_new_round_of_alerts(authority, members, provider, client, monkeypatch):
    monkeypatch.setenv("PARVIS_LINKEDIN_APP_ID", "li")
    monkeypatch.setenv("PARVIS_LINKEDIN_APP_SECRET", "li-secret")
    ch = ChannelFactory(authority=authority, network="linkedin", handle="arras", is_sandbox=False,
                        token_expires_at=timezone.now() + timedelta(days=3), credentials=encrypt({"access_token": "A"}),
                        expiry_alerts_sent=["7d"])
    client.force_login(members[Role.DIRECTOR].user)
    state = parse_qs(urlsplit(client.post(f"/a/arras/comptes/{ch.pk}/connexion/")["Location"]).query)["state"][0]
    provider.answer("POST /linkedin/token", 200, {"access_token": "B", "expires_in": 5184000})
    client.get("/connexion/retour/", {"state": state, "code": "c"})
    ch.refresh_from_db()
    assert ch.expiry_alerts_sent == [] and ch.token_expires_at > timezone.now() + timedelta(days=59)
    assert connect.expiry_alerts(ch.token_expires_at - timedelta(days=6)) == 1


@pytest.mark.django_db
def test_tasks_are_on_the_clock_and_run(monkeypatch):
    names = {name: path for name, path, _ in clock.DEFAULT_SCHEDULE}
    assert names["refresh-tokens"] == "parvis.channels.tasks.refresh_tokens"
    assert names["token-expiry-alerts"] == "parvis.channels.tasks.send_expiry_alerts"
    seen = []
    monkeypatch.setattr(connect, "refresh_expiring", lambda now: seen.append(("refresh", now)) or {})
    monkeypatch.setattr(connect, "expiry_alerts", lambda now: seen.append(("alerts", now)) or 0)
    tasks.refresh_tokens.call()
    tasks.send_expiry_alerts.call()
    assert [k for k, _ in seen] == ["refresh", "alerts"]
