"""Every comment, reply and mention of an authority's channels, with its moderation and its answers.

Comments and their authors are personal data: retention per authority (ModerationSettings.retention_days),
erasure per author. Text from networks is untrusted: never marked safe.
"""

import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.organisations.models import Authority


def normalise(text: str) -> str:
    """Folded text for search: lower case, no accents, single spaces (same on SQLite and PostgreSQL)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def labels_text(labels) -> str:
    """Labels as " hate insult ": a plain column every database filters the same way."""
    return f" {' '.join(labels)} " if labels else ""


class CommentAuthor(models.Model):
    """A person as one channel's network knows them. Personal data."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "remote_id"], name="one_author_per_channel")]
        indexes = [models.Index(fields=["authority", "handle"])]

    def __str__(self) -> str:
        return self.handle or self.remote_id


class Comment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Commentaire")
        REPLY = "reply", _("Réponse")
        MENTION = "mention", _("Mention")

    class Status(models.TextChoices):
        NEW = "new", _("Nouveau")
        ASSIGNED = "assigned", _("Attribué")
        DONE = "done", _("Traité")
        HIDDEN = "hidden", _("Masqué")
        DELETED = "deleted", _("Supprimé")

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey("publishing.Delivery", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    publication = models.ForeignKey("publishing.Publication", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    remote_id = models.CharField(max_length=255)
    post_remote_id = models.CharField(max_length=255, blank=True)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    parent_remote_id = models.CharField(max_length=255, blank=True)
    author = models.ForeignKey(CommentAuthor, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(blank=True)
    url = models.CharField(max_length=2000, blank=True)
    search = models.TextField(blank=True)  # normalise(text + author handle)
    created_at = models.DateTimeField()
    fetched_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    hidden_on_network = models.BooleanField(default=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    labels = models.JSONField(default=list, blank=True)  # classifier labels, in its order
    labels_text = models.CharField(max_length=200, blank=True)  # labels_text(labels): for filters
    reasons = models.JSONField(default=dict, blank=True)  # label -> rules that fired (French)
    action = models.CharField(max_length=10, default="none")  # hide | review | answer | none
    answered_at = models.DateTimeField(null=True, blank=True)  # first reply sent on the network
    handled_at = models.DateTimeField(null=True, blank=True)  # first human or automatic handling
    alerted_at = models.DateTimeField(null=True, blank=True)  # the on-duty alert went (once)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "remote_id"], name="one_comment_per_remote_id")]
        indexes = [
            models.Index(fields=["authority", "-created_at", "-id"], name="inbox_list"),
            models.Index(fields=["authority", "status", "-created_at", "-id"], name="inbox_status"),
            models.Index(fields=["authority", "channel", "-created_at", "-id"], name="inbox_channel"),
            models.Index(fields=["authority", "action", "-created_at", "-id"], name="inbox_action"),
            models.Index(fields=["authority", "assignee", "-created_at", "-id"], name="inbox_assignee"),
            models.Index(fields=["publication", "-created_at"], name="inbox_publication"),
            models.Index(fields=["author", "-created_at"], name="inbox_author"),
            models.Index(fields=["channel", "parent_remote_id"], name="inbox_parent"),
            models.Index(fields=["authority", "fetched_at"], name="inbox_retention"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.remote_id}"


class CommentReply(models.Model):
    """An answer to a comment; a contributor's answer waits for approval before it leaves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de validation")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyée")
        FAILED = "failed", _("Échec")
        REJECTED = "rejected", _("Refusée")

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="replies")
    text = models.TextField()
    saved_answer = models.ForeignKey("SavedAnswer", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    marker = models.UUIDField(default=uuid.uuid4, unique=True)  # idempotency key on the network
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    remote_id = models.CharField(max_length=255, blank=True)
    remote_url = models.CharField(max_length=2000, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["authority", "status"])]

    def __str__(self) -> str:
        return f"Réponse {self.pk} ({self.status})"


class SavedAnswer(models.Model):
    """A ready answer; {prenom}, {nom}, {pseudo}, {commune}, {reseau} are filled in when used."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("titre"), max_length=200)
    text = models.TextField(_("texte"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ModerationSettings(models.Model):
    """The authority's charter as data: what each label does, its own words, retention, alerts."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE, related_name="moderation_settings")
    actions = models.JSONField(default=dict, blank=True)  # label -> hide|review|answer|none, over the defaults
    allow = models.JSONField(default=list, blank=True)  # words/patterns never labelled
    deny = models.JSONField(default=list, blank=True)  # words/patterns always labelled
    retention_days = models.PositiveIntegerField(default=365)
    alert_delay_minutes = models.PositiveIntegerField(default=60)
    on_duty_email = models.EmailField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Modération · {self.authority_id}"


class LabelCorrection(models.Model):
    """A person said a label is wrong (or missing): kept as evidence to tune the rules."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="label_corrections")
    label = models.CharField(max_length=20)
    wrong = models.BooleanField(default=True)  # True: the label was given wrongly; False: it was missing
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["authority", "label"])]

    def __str__(self) -> str:
        return f"{self.label} {'à tort' if self.wrong else 'manquant'} · {self.comment_id}"


class ChannelPoll(models.Model):
    """Polling state of one channel's comments: when it may be asked again (rate limits), last outcome."""

    channel = models.OneToOneField("channels.Channel", on_delete=models.CASCADE, related_name="comment_poll")
    not_before = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Relevé · {self.channel_id}"
