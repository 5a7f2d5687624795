from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.domain.networks import NETWORK_LABELS, Network
from parvis.organisations.models import Authority


class Channel(models.Model):
    """One account of an authority on one network, with its editorial line."""

    class AccountKind(models.TextChoices):
        INSTITUTIONAL = "institutional", _("Compte institutionnel")
        PERSONAL = "personal", _("Compte personnel d'élu·e")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Connecté")
        RECONNECT = "reconnect", _("Reconnexion nécessaire")
        DISABLED = "disabled", _("Désactivé")

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("réseau"), max_length=20, choices=[(n.value, NETWORK_LABELS[n]) for n in Network])
    handle = models.CharField(_("identifiant"), max_length=200)
    display_name = models.CharField(_("nom affiché"), max_length=200, blank=True)
    account_kind = models.CharField(max_length=20, choices=AccountKind.choices, default=AccountKind.INSTITUTIONAL)
    is_sandbox = models.BooleanField(
        _("simulation"), default=False, help_text=_("Compte simulé : rien n'est publié sur le vrai réseau.")
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    credentials = models.BinaryField(_("identifiants chiffrés"), blank=True, default=b"", editable=False)
    # The server of a federated account (Mastodon instance, Bluesky PDS); empty for centralised networks.
    instance_url = models.URLField(_("serveur"), blank=True, max_length=300)
    remote_account_id = models.CharField(max_length=200, blank=True)  # page id, DID, account id...
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # Which expiry alerts were sent for the current token ("7d", "1d"), so each goes once.
    expiry_alerts_sent = models.JSONField(default=list, blank=True)
    comments_cursor = models.CharField(max_length=500, blank=True)  # where the last comment fetch stopped
    # Editorial line.
    audience = models.CharField(_("public visé"), max_length=300, blank=True)
    tone = models.CharField(_("ton"), max_length=300, blank=True)
    themes = models.JSONField(_("thèmes"), default=list, blank=True)
    slots = models.JSONField(
        _("créneaux"),
        default=list,
        blank=True,
        help_text=_('Heures locales par jour : [{"weekday": 0, "time": "09:30"}, ...] (0 = lundi).'),
    )
    target_posts_per_week = models.PositiveSmallIntegerField(_("publications par semaine visées"), default=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compte")
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "network", "handle"], name="one_channel_per_handle")
        ]

    def __str__(self) -> str:
        return f"{self.network_label} · {self.handle}"

    @property
    def network_label(self) -> str:
        return NETWORK_LABELS[Network(self.network)]
