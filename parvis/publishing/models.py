import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.domain.states import DeliveryState, PublicationStatus
from parvis.organisations.models import Authority


class MediaAsset(models.Model):
    """A file of the authority's media library, with what was probed from the file itself."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Vidéo")

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="media/%Y/%m/")
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    mime_type = models.CharField(max_length=100)
    size_bytes = models.BigIntegerField()
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    duration_s = models.FloatField(null=True)
    alt_text = models.TextField(_("texte alternatif"), blank=True)
    has_subtitles = models.BooleanField(_("sous-titrée"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class Publication(models.Model):
    """What the team writes once; one Variant per channel carries the adapted text."""

    class ScheduleMode(models.TextChoices):
        AT = "at", _("À une heure choisie")
        NEXT_SLOT = "next_slot", _("Prochain créneau libre")
        NOW = "now", _("Dès l'approbation")

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="publications")
    title = models.CharField(_("titre interne"), max_length=200)
    body = models.TextField(_("texte"), blank=True)
    link = models.URLField(_("lien"), blank=True, max_length=2000)
    media = models.ManyToManyField(MediaAsset, through="PublicationMedia", blank=True)
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in PublicationStatus], default=PublicationStatus.DRAFT
    )
    schedule_mode = models.CharField(max_length=12, choices=ScheduleMode.choices, default=ScheduleMode.AT)
    scheduled_at = models.DateTimeField(_("date de publication"), null=True, blank=True)
    approval_round = models.PositiveIntegerField(default=0)
    approval_level = models.PositiveSmallIntegerField(default=0)  # levels already approved this round
    # The rule's levels as they were when the round started: a rule edited meanwhile does not move the goal.
    approval_snapshot = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        indexes = [models.Index(fields=["authority", "scheduled_at"]), models.Index(fields=["authority", "status"])]

    def __str__(self) -> str:
        return self.title


class PublicationMedia(models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE)
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["publication", "asset"], name="asset_once_per_publication")]

    def __str__(self) -> str:
        return f"{self.publication_id}#{self.position}"


class Variant(models.Model):
    """The publication as it will appear on one channel."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="variants")
    text = models.TextField(blank=True)
    edited = models.BooleanField(default=False)  # edited by hand: no longer derived from the main text
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["publication", "channel"], name="one_variant_per_channel")]

    def __str__(self) -> str:
        return f"{self.publication_id} → {self.channel_id}"


class ApprovalRule(models.Model):
    """0 to 3 approval levels, for the whole authority (channel empty) or for one channel."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="approval_rules")
    channel = models.OneToOneField(
        "channels.Channel", on_delete=models.CASCADE, null=True, blank=True, related_name="approval_rule"
    )
    # [{"roles": ["director"], "users": [12]}, ...] — level i is approved by anyone matching it.
    levels = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["authority"], condition=models.Q(channel__isnull=True), name="one_default_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{len(self.levels)} niveau(x) · {self.channel or 'toute la collectivité'}"


class ApprovalDecision(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approuvé")
        REJECT = "reject", _("Refusé")
        COMMENT = "comment", _("Commentaire")

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="decisions")
    round = models.PositiveIntegerField()
    level = models.PositiveSmallIntegerField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    signer_label = models.CharField(max_length=200, blank=True)  # elected official through a signed link
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} · niveau {self.level + 1}"


class Delivery(models.Model):
    """The ledger: one row per (publication, channel). See docs/adr/0001-delivery-dispatcher.md."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="deliveries")
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(
        max_length=12, choices=[(s.value, s.value) for s in DeliveryState], default=DeliveryState.SCHEDULED
    )
    due_at = models.DateTimeField()
    run_after = models.DateTimeField()  # later than due_at after a rate limit
    attempts = models.PositiveSmallIntegerField(default=0)
    marker = models.UUIDField(default=uuid.uuid4, unique=True)  # our idempotency key on the network
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=255, blank=True)
    remote_url = models.URLField(max_length=2000, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)  # French, with what to do
    error_detail = models.TextField(blank=True)  # the network's own words
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "channel"], name="one_delivery_per_channel")
        ]
        indexes = [
            models.Index(fields=["state", "run_after"], name="delivery_due"),
            models.Index(fields=["state", "lease_expires_at"], name="delivery_lease"),
            models.Index(fields=["authority", "due_at"]),
            models.Index(fields=["channel", "remote_id"], name="delivery_remote"),  # comment → publication
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} → {self.channel_id} ({self.state})"
