"""Inbox actions with permissions (other authority: 404; viewer: 403), audit, and the network through the sandbox."""

import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from parvis.audit.models import AuditEvent
from parvis.domain.roles import Role
from parvis.inbox import actions, exports, queries
from parvis.inbox.ingest import ingest, poll_channel
from parvis.inbox.models import Comment, CommentAuthor, CommentReply, LabelCorrection, ModerationSettings
from parvis.networks.sandbox.connector import SandboxConnector
from parvis.networks.types import Credentials, PostRequest
from tests.factories import ChannelFactory

from .conftest import T0, page, remote

pytestmark = pytest.mark.django_db

CM, VIEWER, CONTRIB, DIRECTOR = Role.COMMUNITY_MANAGER, Role.VIEWER, Role.CONTRIBUTOR, Role.DIRECTOR


class Quiet:
    capabilities = frozenset({"comments", "hide_comment"})

    def hide_comment(self, *a, **k):
        pass


def stored(channel, *comments):
    ingest(channel, page(*comments), connector=Quiet(), auto_hide=False)
    return {c.remote_id: c for c in Comment.objects.filter(channel=channel)}


@pytest.fixture
def live(channel, sandbox):
    """A real conversation on the sandbox for `channel`, polled into the inbox (no automatic hiding)."""
    sandbox.configure(conversation_speed=1_000_000_000, seed=5)
    ModerationSettings.objects.create(authority=channel.authority, actions=dict.fromkeys(
        ("hate", "threat", "personal_data", "spam"), "review"))
    c = SandboxConnector("facebook", Credentials(channel.handle, {"token": "t"}), base_url=sandbox.url)
    c.publish(PostRequest("Fête de la musique", uuid.uuid4().hex))
    time.sleep(0.05)
    assert poll_channel(channel.pk)["error"] == ""
    return c


def on_network(connector):
    seen, cursor = {}, None
    while True:
        p = connector.fetch_comments(cursor=cursor)
        if not p.comments:
            return seen
        seen.update({c.remote_id: c for c in p.comments})
        cursor = p.cursor


# --- permissions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "role", "on_object"), [
    (lambda m, c: actions.assign(m, c.pk, m.user_id), VIEWER, True),
    (lambda m, c: actions.mark_done(m, c.pk), VIEWER, True),
    (lambda m, c: actions.reopen(m, c.pk), VIEWER, True),
    (lambda m, c: actions.reply(m, c.pk, text="Bonjour"), VIEWER, True),
    (lambda m, c: actions.hide(m, c.pk, reason="insult"), CONTRIB, True),
    (lambda m, c: actions.unhide(m, c.pk), CONTRIB, True),
    (lambda m, c: actions.delete(m, c.pk, reason="spam"), CONTRIB, True),
    (lambda m, c: actions.mark_label(m, c.pk, "question"), VIEWER, True),
    (lambda m, c: exports.export_csv(m, [c.pk]), CONTRIB, True),
    (lambda m, c: actions.save_answer(m, title="t", text="x"), CONTRIB, False),
    (lambda m, c: actions.update_settings(m, retention_days=30), CM, False),
    (lambda m, c: actions.erase_author(m, authority=m.authority, handle="camille.m"), CM, False),
])
def test_missing_permission_is_403_and_other_authority_is_404(channel, members, other, call, role, on_object):
    mine = stored(channel, remote(1))["c1"]
    theirs = stored(other["channel"], remote(1))["c1"]
    with pytest.raises(PermissionDenied):
        call(members[role], mine)
    if on_object:
        with pytest.raises(Http404):
            call(members[DIRECTOR], theirs)
    with pytest.raises(Http404):
        queries.thread(members[VIEWER], theirs.pk)
    assert not AuditEvent.objects.filter(verb__startswith="comment.").exists()


def test_erase_in_another_authority_is_404(members, other):
    with pytest.raises(Http404):
        actions.erase_author(members[DIRECTOR], authority=other["authority"], handle="x")


# --- triage ---------------------------------------------------------------------------------------------------


def test_assign_done_reopen_are_audited(channel, members):
    c = stored(channel, remote(1))["c1"]
    cm, contrib = members[CM], members[CONTRIB]
    assert actions.assign(cm, c.pk, contrib.user_id).status == "assigned"
    with pytest.raises(ValidationError):
        actions.assign(cm, c.pk, 999_999)  # not in the team
    assert actions.mark_done(contrib, c.pk).status == "done"
    assert Comment.objects.get(pk=c.pk).handled_at is not None
    assert actions.reopen(cm, c.pk).status == "assigned"
    assert list(AuditEvent.objects.filter(object_type="comment").order_by("id").values_list("verb", flat=True)) == [
        "comment.assigned", "comment.done", "comment.reopened"]


def test_mark_a_label_wrong_keeps_the_evidence(channel, members):
    c = stored(channel, remote(1))["c1"]
    correction = actions.mark_label(members[CONTRIB], c.pk, "question", note="rhétorique")
    assert (correction.label, correction.wrong) == ("question", True)
    assert Comment.objects.get(pk=c.pk).labels == ["question"]  # what the rules said stays
    with pytest.raises(ValidationError, match="n'a pas la catégorie"):
        actions.mark_label(members[CONTRIB], c.pk, "hate")
    actions.mark_label(members[CONTRIB], c.pk, "complaint", wrong=False)
    assert LabelCorrection.objects.filter(comment=c).count() == 2
    assert [x.label for x in queries.thread(members[VIEWER], c.pk)["label_corrections"]] == ["question", "complaint"]


# --- on the network (sandbox) ---------------------------------------------------------------------------------


def test_hide_unhide_delete_on_the_network_with_a_charter_reason(channel, members, live):
    insult = Comment.objects.filter(channel=channel).exclude(status="hidden").first()
    cm = members[CM]
    with pytest.raises(ValidationError, match="Motif"):
        actions.hide(cm, insult.pk, reason="pas d'accord")
    actions.hide(cm, insult.pk, reason="insult")
    assert on_network(live)[insult.remote_id].hidden is True
    event = AuditEvent.objects.get(verb="comment.hidden")
    assert event.after["reason"] == "insult" and event.actor == cm.user
    actions.unhide(cm, insult.pk)
    assert on_network(live)[insult.remote_id].hidden is False
    actions.delete(cm, insult.pk, reason="insult")
    assert insult.remote_id not in on_network(live)
    assert Comment.objects.get(pk=insult.pk).status == "deleted"
    with pytest.raises(ValidationError, match="déjà été supprimé"):
        actions.hide(cm, insult.pk, reason="insult")


def test_a_network_without_the_capability_is_refused_clearly(authority, members, monkeypatch):
    channel = ChannelFactory(authority=authority, network="facebook", handle="@reel", is_sandbox=False)
    c = stored(channel, remote(1))["c1"]
    monkeypatch.setattr("parvis.inbox.actions.channel_capabilities", lambda ch: frozenset({"comments"}))
    with pytest.raises(ValidationError, match="Facebook ne permet pas de masquer"):
        actions.hide(members[CM], c.pk, reason="spam")
    with pytest.raises(ValidationError, match="ne permet pas de répondre"):
        actions.reply(members[CM], c.pk, text="Bonjour")


def test_reply_with_a_saved_answer_and_the_contributors_approval(channel, members, live, authority):
    question = Comment.objects.filter(channel=channel, labels_text__contains=" question ").first()
    saved = actions.save_answer(members[CM], title="Horaires", text="Bonjour {prenom}, la {commune} vous répond.")
    with pytest.raises(ValidationError, match="Variable inconnue"):
        actions.save_answer(members[CM], title="x", text="Bonjour {age}")
    pending = actions.reply(members[CONTRIB], question.pk, saved_answer_id=saved.pk)
    first_name = question.author.name.split()[0]
    assert pending.status == "pending" and pending.text == f"Bonjour {first_name}, la Arras vous répond."
    assert [r.pk for r in queries.pending_replies(members[VIEWER])] == [pending.pk]
    assert Comment.objects.get(pk=question.pk).answered_at is None
    sent = actions.approve_reply(members[CM], pending.pk)
    assert sent.status == "sent" and sent.remote_id.startswith("r")
    done = Comment.objects.get(pk=question.pk)
    assert done.answered_at is not None and done.status == "done"
    with pytest.raises(ValidationError):
        actions.approve_reply(members[CM], pending.pk)  # once
    direct = actions.reply(members[CM], question.pk, text="Complément : ouvert le dimanche.")
    assert direct.status == "sent"
    assert Comment.objects.get(pk=question.pk).answered_at == done.answered_at  # the FIRST answer counts
    with pytest.raises(ValidationError, match="vide"):
        actions.reply(members[CM], question.pk, text="   ")


def test_a_lost_reply_is_retried_without_a_second_post(channel, members, live, monkeypatch):
    from parvis.networks import errors

    question = Comment.objects.filter(channel=channel).first()
    original = SandboxConnector.reply

    def lost(self, to, text, *, marker):
        original(self, to, text, marker=marker)
        raise errors.OutcomeUnknown("réponse non reçue")

    monkeypatch.setattr(SandboxConnector, "reply", lost)
    failed = actions.reply(members[CM], question.pk, text="Bonjour")
    assert failed.status == "failed" and "pas confirmé" in failed.error
    monkeypatch.setattr(SandboxConnector, "reply", original)
    sent = actions.approve_reply(members[CM], failed.pk)
    assert sent.status == "sent" and sent.remote_id
    assert CommentReply.objects.filter(comment=question).count() == 1


# --- data protection ------------------------------------------------------------------------------------------


def test_erase_an_author_everywhere_in_the_authority(channel, authority, members, other):
    second = ChannelFactory(authority=authority, network="instagram", handle="@arras.insta")
    stored(channel, remote(1), remote(2, author="u2", handle="autre"))
    stored(second, remote(5, author="ig-9", handle="Camille.M"))
    stored(other["channel"], remote(1))
    result = actions.erase_author(members[DIRECTOR], authority=authority, handle="@camille.m")
    assert result == {"comments": 2, "authors": 2}
    assert list(Comment.objects.filter(authority=authority).values_list("remote_id", flat=True)) == ["c2"]
    assert Comment.objects.filter(authority=other["authority"]).count() == 1  # not theirs
    event = AuditEvent.objects.get(verb="inbox.author_erased")
    assert event.after == {"comments": 2, "authors": 2} and "camille" not in str(event.after).lower()


def test_purge_after_retention(channel, authority, other):
    ModerationSettings.objects.create(authority=authority, retention_days=30)
    stored(channel, remote(1, at=T0 - timedelta(days=40)), remote(2, author="u2", at=T0 - timedelta(days=10)))
    stored(other["channel"], remote(1, at=T0 - timedelta(days=40)))  # default retention: a year
    assert actions.purge_expired(T0) == {"comments": 1, "authors": 1}
    assert list(Comment.objects.filter(authority=authority).values_list("remote_id", flat=True)) == ["c2"]
    assert list(CommentAuthor.objects.filter(authority=authority).values_list("remote_id", flat=True)) == ["u2"]
    assert Comment.objects.filter(authority=other["authority"]).count() == 1
    assert AuditEvent.objects.get(verb="inbox.purged").after["comments"] == 1


# --- alerts and export ----------------------------------------------------------------------------------------


def test_unhandled_hate_alerts_the_on_duty_person_once(channel, authority, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ModerationSettings.objects.create(authority=authority, alert_delay_minutes=30, on_duty_email="astreinte@arras.fr",
                                      actions={"hate": "review"})
    text = "Les étrangers dehors, ils n'ont rien à faire ici. <script>alert(1)</script>"
    stored(channel, remote(1, text, at=T0), remote(2, "Merci !", author="u2", at=T0))
    assert actions.send_alerts(T0 + timedelta(minutes=10)) == 0  # not yet late
    assert actions.send_alerts(T0 + timedelta(minutes=31)) == 1
    assert actions.send_alerts(T0 + timedelta(minutes=60)) == 0  # once
    [message] = mail.outbox
    assert message.to == ["astreinte@arras.fr"] and "hate" in message.subject and "<" not in message.subject
    html_part = message.alternatives[0][0]
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part


def test_handled_hate_does_not_alert(channel, authority, members, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ModerationSettings.objects.create(authority=authority, alert_delay_minutes=30, on_duty_email="a@arras.fr",
                                      actions={"threat": "review"})
    c = stored(channel, remote(1, "On sait où tu habites, fais attention à toi.", at=T0))["c1"]
    actions.mark_done(members[CM], c.pk)
    assert actions.send_alerts(T0 + timedelta(hours=2)) == 0 and mail.outbox == []


def test_export_escapes_formulas(channel, members):
    rows = stored(channel, remote(1, "=HYPERLINK(\"http://x\")"), remote(2, "+33 6 12", author="u2", handle="@mal"),
                  remote(3, "-1"), remote(4, "normal, \"quoted\""))
    csv_text = exports.export_csv(members[CM], [c.pk for c in rows.values()])
    assert "\"'=HYPERLINK(\"\"http://x\"\")\"" in csv_text
    assert "\"'+33 6 12\"" in csv_text and "\"'-1\"" in csv_text and "\"'@mal\"" in csv_text
    assert "\"normal, \"\"quoted\"\"\"" in csv_text
    assert csv_text.splitlines()[0].lstrip("\ufeff").startswith("\"date_utc\"")
    import json

    data = json.loads(exports.export_json(members[CM], [rows["c1"].pk]))
    assert data[0]["texte"] == "=HYPERLINK(\"http://x\")" and data[0]["lien"] == "https://net.test/p1#c1"
    assert AuditEvent.objects.filter(verb="comments.exported").count() == 2


def test_settings_are_validated(members):
    with pytest.raises(ValidationError):
        actions.update_settings(members[DIRECTOR], actions={"insult": "bannir"})
    with pytest.raises(ValidationError):
        actions.update_settings(members[DIRECTOR], retention_days=0)
    row = actions.update_settings(members[DIRECTOR], actions={"insult": "hide"}, deny=["tartempion"],
                                  on_duty_email="astreinte@arras.fr")
    assert row.actions == {"insult": "hide"} and AuditEvent.objects.filter(verb="moderation.settings").exists()
