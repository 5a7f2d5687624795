"""Ingestion: idempotent store, classification, the charter's automatic hiding, the cursor, polling."""

import time

import pytest
from django.db import IntegrityError

from parvis.audit.models import AuditEvent
from parvis.channels.models import Channel
from parvis.inbox import ingest as ingest_mod
from parvis.inbox.ingest import channels_to_poll, ingest, poll_channel
from parvis.inbox.models import ChannelPoll, Comment, CommentAuthor, ModerationSettings
from parvis.networks import errors
from parvis.networks.sandbox.connector import SandboxConnector
from parvis.networks.types import Credentials, PostRequest
from parvis.publishing.models import Delivery, Publication
from tests.factories import ChannelFactory

from .conftest import page, remote

pytestmark = pytest.mark.django_db


class NoNetwork:
    """A connector that must not be called (and says so), or records hides."""

    capabilities = frozenset({"comments", "hide_comment"})

    def __init__(self, fail=None):
        self.hidden, self.fail = [], fail

    def hide_comment(self, remote_id, *, hidden=True, post_remote_id=""):
        if self.fail:
            raise self.fail
        self.hidden.append(remote_id)


def test_the_same_page_twice_stores_one_row_each(channel):
    p = page(remote(1), remote(2, "Merci pour l'info"), remote(2, "Merci pour l'info"))
    first = ingest(channel, p, connector=NoNetwork())
    second = ingest(channel, p, connector=NoNetwork())
    assert (first.stored, second.stored) == (2, 0)
    assert Comment.objects.filter(channel=channel).count() == 2
    assert CommentAuthor.objects.filter(channel=channel).count() == 1
    with pytest.raises(IntegrityError):  # the database itself refuses a second row
        c = Comment.objects.first()
        c.pk = None
        c.save()


def test_classifies_and_links_parents_authors_and_publications(channel, authority):
    pub = Publication.objects.create(authority=authority, title="Piscine")
    Delivery.objects.create(publication=pub, channel=channel, authority=authority, due_at=remote(0).created_at,
                            run_after=remote(0).created_at, remote_id="p1", state="published")
    ingest(channel, page(remote(3, "Toujours pas de ramassage des poubelles, c'est inadmissible.", parent="c1")),
           connector=NoNetwork())
    ingest(channel, page(remote(1)), connector=NoNetwork())  # the parent arrives after its reply
    question, complaint = Comment.objects.get(remote_id="c1"), Comment.objects.get(remote_id="c3")
    assert question.labels == ["question"] and question.action == "answer"
    assert "complaint" in complaint.labels and complaint.reasons["complaint"]
    assert complaint.parent_id == question.pk
    assert question.publication_id == pub.pk and question.delivery.remote_id == "p1"
    assert question.search == "bonjour, a quelle heure ouvre la piscine ? camille.m"
    assert question.author.name == "Camille Martin"


def test_the_authority_map_and_lists_apply(channel, authority):
    ModerationSettings.objects.create(authority=authority, actions={"insult": "hide"}, deny=["tartempion"])
    net = NoNetwork()
    ingest(channel, page(remote(1, "Le maire est un abruti."), remote(2, "Quel tartempion ce projet")),
           connector=net)
    assert set(net.hidden) == {"c1", "c2"}
    assert Comment.objects.get(remote_id="c2").labels  # the authority's own word


def test_harsh_criticism_is_never_hidden(channel):
    net = NoNetwork()
    ingest(channel, page(remote(1, "Ce projet est un gaspillage d'argent public, la majorité n'écoute personne.")),
           connector=net)
    assert net.hidden == []
    assert Comment.objects.get(remote_id="c1").status == Comment.Status.NEW


def test_cursor_not_advanced_when_storing_fails(channel, monkeypatch):
    channel.comments_cursor = "before"
    channel.save()

    real = ingest_mod._insert_ignore

    def broken(model, columns, rows):
        if model is Comment:
            raise RuntimeError("disque plein")
        return real(model, columns, rows)

    monkeypatch.setattr(ingest_mod, "_insert_ignore", broken)
    with pytest.raises(RuntimeError):
        ingest(channel, page(remote(1), cursor="after"), connector=NoNetwork())
    channel.refresh_from_db()
    assert channel.comments_cursor == "before"
    assert not Comment.objects.exists()
    monkeypatch.undo()
    ingest(channel, page(remote(1), cursor="after"), connector=NoNetwork())
    channel.refresh_from_db()
    assert channel.comments_cursor == "after" and Comment.objects.count() == 1


def test_pipelined_ingestion_gives_the_same_rows(channel, authority):
    other_channel = ChannelFactory(authority=authority, network="instagram", handle="@arras")
    pool = ingest_mod.PoolClassifier(2)
    try:
        pages = [(channel, page(remote(1), remote(2, "Appelez-moi au 06 12 34 56 78."), cursor="a")),
                 (other_channel, page(remote(1, "Le maire est un abruti."), cursor="b")),
                 (channel, page(remote(2), remote(3, "Merci !"), cursor="c"))]
        results = ingest_mod.ingest_many(pages, classifier=pool, connector=NoNetwork())
    finally:
        pool.close()
    assert [r.stored for r in results] == [2, 1, 1]
    assert Comment.objects.get(channel=channel, remote_id="c2").labels == ["personal_data"]
    assert Comment.objects.get(channel=other_channel, remote_id="c1").labels == ["insult"]
    channel.refresh_from_db()
    assert channel.comments_cursor == "c"


def test_a_fetch_failing_halfway_loses_nothing(channel):
    class Flaky:
        capabilities = frozenset({"comments", "hide_comment"})

        def __init__(self):
            self.calls = 0

        def fetch_comments(self, *, cursor=None, post_ids=()):
            self.calls += 1
            if cursor is None:
                return page(remote(1), remote(2), cursor="k2")
            if cursor == "k2" and self.calls == 2:
                raise errors.Transient("coupure")
            if cursor == "k2":
                return page(remote(3), cursor="k3")
            return page(cursor=cursor)

        def hide_comment(self, *a, **k):
            pass

    net = Flaky()
    first = poll_channel(channel.pk, connector=net)
    assert first["stored"] == 2 and "interrompu" in first["error"]
    channel.refresh_from_db()
    assert channel.comments_cursor == "k2"
    second = poll_channel(channel.pk, connector=net)
    assert second["stored"] == 1 and second["error"] == ""
    assert sorted(Comment.objects.values_list("remote_id", flat=True)) == ["c1", "c2", "c3"]


def test_rate_limited_poll_waits(channel):
    class Limited:
        capabilities = frozenset({"comments"})

        def fetch_comments(self, **kwargs):
            raise errors.RateLimited("trop", retry_after_s=120)

    result = poll_channel(channel.pk, connector=Limited())
    assert "limite" in result["error"]
    poll = ChannelPoll.objects.get(channel=channel)
    assert poll.not_before is not None
    assert channel.pk not in channels_to_poll()
    assert poll_channel(channel.pk, connector=Limited())["skipped"] == "rate_limited"


def test_failed_auto_hide_is_retried_at_the_next_poll(channel):
    ingest(channel, page(remote(1, "Appelez-moi au 06 12 34 56 78.")), connector=NoNetwork(
        fail=errors.RateLimited("trop", retry_after_s=5)))
    c = Comment.objects.get()
    assert c.action == "hide" and not c.hidden_on_network and c.status == "new"
    net = NoNetwork()
    hidden, _ = ingest_mod.hide_pending(channel, connector=net)
    assert hidden == 1 and net.hidden == ["c1"]
    c.refresh_from_db()
    assert c.hidden_on_network and c.status == "hidden" and c.handled_at is not None
    event = AuditEvent.objects.get(verb="comment.auto_hidden")
    assert event.after["reason"] == "personal_data" and event.actor is None


def test_channels_to_poll_only_active_with_comments(channel, authority):
    ChannelFactory(authority=authority, network="x", handle="@off", status=Channel.Status.RECONNECT)
    real_x = ChannelFactory(authority=authority, network="x", handle="@x", is_sandbox=False)  # no X connector
    ids = channels_to_poll()
    assert channel.pk in ids and real_x.pk not in ids and len(ids) == 1


def test_auto_hide_through_the_sandbox(channel, sandbox):
    """End to end: a post on the sandbox, its conversation polled, the harmful comments hidden there."""
    sandbox.configure(conversation_speed=1_000_000_000, seed=11)
    connector = SandboxConnector("facebook", Credentials(channel.handle, {"token": "t"}), base_url=sandbox.url)
    for i in range(3):
        connector.publish(PostRequest(f"Info travaux {i}", f"m-{channel.pk}-{i}"))
    time.sleep(0.05)  # the simulated week of conversation passes
    result = poll_channel(channel.pk)
    assert result["error"] == "" and result["stored"] > 20
    stored = Comment.objects.filter(channel=channel)
    to_hide = stored.filter(action="hide")
    assert to_hide.exists()
    assert not to_hide.filter(hidden_on_network=False).exists()
    everything = []
    cursor = None
    while True:
        p = connector.fetch_comments(cursor=cursor)
        if not p.comments:
            break
        everything += p.comments
        cursor = p.cursor
    on_network = {c.remote_id: c.hidden for c in everything}
    assert all(on_network[c.remote_id] for c in to_hide)
    assert not any(on_network[c.remote_id] for c in stored.exclude(action="hide"))
    assert AuditEvent.objects.filter(verb="comment.auto_hidden").count() == to_hide.count()
    again = poll_channel(channel.pk)
    assert again["stored"] == 0  # the cursor kept the place


def test_an_expired_token_while_polling_asks_for_a_reconnection_once(mailoutbox, settings,
                                                                     django_capture_on_commit_callbacks):
    from parvis.domain.roles import Role
    from parvis.networks import errors as net_errors
    from tests.factories import team

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, network="mastodon")

    class Expired:
        def fetch_comments(self, cursor=None):
            raise net_errors.AuthExpired("token revoked")

    with django_capture_on_commit_callbacks(execute=True):
        result = poll_channel(channel.pk, connector=Expired())
    assert "reconnectez" in result["error"]
    assert Channel.objects.get(pk=channel.pk).status == Channel.Status.RECONNECT
    assert len(mailoutbox) == 1 and "Reconnexion" in mailoutbox[0].subject
    assert poll_channel(channel.pk, connector=Expired())["skipped"] == "inactive"  # held until reconnected
