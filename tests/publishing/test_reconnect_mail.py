"""An expired token, end to end: the dispatcher marks the channel, the task runs on commit and a real SMTP
server on loopback receives the mail to the channel's owners."""

from datetime import timedelta

import pytest
from django.utils import timezone

from parvis.channels.models import Channel
from parvis.domain.roles import Role
from parvis.networks import errors
from parvis.publishing import actions, dispatch
from parvis.publishing.models import Delivery
from tests.factories import ChannelFactory, team

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit must really fire


@pytest.fixture
def expired(monkeypatch):
    """Every network answers "token expired"; counts the calls."""
    calls = []

    def connector(network, credentials, *, sandbox, timeout=20.0, base_url=None):
        class Connector:
            capabilities = frozenset({"publish"})

            def publish(self, post):
                calls.append(credentials.handle)
                raise errors.AuthExpired("token expired")

        return Connector()

    monkeypatch.setattr(dispatch, "get_connector", connector)
    return calls


def _approved(members, channel, title="Vœux du maire"):
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(cm, title=title, body="Cérémonie des vœux vendredi à 18 h.",
                                     channel_ids=[channel.id], scheduled_at=timezone.now() + timedelta(seconds=1))
    return actions.submit(cm, pub)  # no approval rule: approved and scheduled at once


def _dispatch_once():
    Delivery.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    ids = dispatch.claim_due(now=timezone.now(), owner="w1", limit=100)
    jobs, broken = dispatch.build_jobs(ids)
    assert broken == []
    dispatch.record_outcomes([dispatch.execute(job) for job in jobs])  # commits: on_commit fires here


def test_expired_token_mails_the_owners_once_through_smtp(smtp, expired):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, network="mastodon",
                             handle="mairie@mastodon.example")
    # Two publications fail on the same channel in the same batch: still one mail per person.
    _approved(members, channel)
    _approved(members, channel, title="Marché de Noël")
    _dispatch_once()

    channel.refresh_from_db()
    assert channel.status == Channel.Status.RECONNECT
    assert len(expired) == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {"scheduled"}  # held, not lost

    owners = [members[Role.DIRECTOR].user.email, members[Role.COMMUNITY_MANAGER].user.email]
    for address in owners:
        mails = smtp.received_by(address)
        assert len(mails) == 1, address
        assert str(mails[0]["Subject"]).strip() == "[Parvis] Reconnexion nécessaire : Mastodon · mairie@mastodon.example"
        assert "partiront dès la reconnexion" in mails[0].get_content()
    for role in (Role.CONTRIBUTOR, Role.REVIEWER, Role.VIEWER):
        assert smtp.received_by(members[role].user.email) == []
    assert len(smtp.envelopes) == 1

    # The next pass leaves a channel waiting for reconnection alone: no new call, no new mail.
    _dispatch_once()
    assert len(expired) == 2 and len(smtp.envelopes) == 1


def test_members_without_email_are_skipped_and_other_authorities_not_told(smtp, expired):
    members = team()
    other = team()
    members[Role.COMMUNITY_MANAGER].user.email = ""
    members[Role.COMMUNITY_MANAGER].user.save()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority)
    _approved(members, channel)
    _dispatch_once()
    assert [e.rcpt_tos for e in smtp.envelopes] == [[members[Role.DIRECTOR].user.email]]
    assert smtp.received_by(other[Role.DIRECTOR].user.email) == []


# Django refuses a header with a line break (BadHeaderError): the subject is put on one line first.
@pytest.mark.parametrize("handle", [
    "<script>alert(1)</script>",
    "ville\nBcc: victime@example.org",
    "ville\r\nSubject: faux sujet",
])
def test_a_hostile_account_handle_does_not_break_the_mail(smtp, expired, handle):
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, network="mastodon", handle=handle)
    _approved(members, channel)
    _dispatch_once()

    channel.refresh_from_db()
    assert channel.status == Channel.Status.RECONNECT
    director = members[Role.DIRECTOR].user.email
    mails = smtp.received_by(director)
    assert len(mails) == 1, "the owners must still be told"
    mail = mails[0]
    # No header injected: one subject, no Bcc, only the owners as recipients.
    assert len(mail.get_all("Subject")) == 1 and mail["Bcc"] is None
    assert "victime@example.org" not in " ".join(r for e in smtp.envelopes for r in e.rcpt_tos)
    subject = str(mail["Subject"]).strip()  # the header may be folded before its first encoded word
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[Parvis] Reconnexion nécessaire : Mastodon · ")
    # The handle is still recognisable, on one line; a plain-text mail carries <script> as inert text.
    assert handle.split("\n")[0].strip() in subject
    assert mail.get_content_type() == "text/plain"
