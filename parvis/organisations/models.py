import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.domain.roles import ROLE_LABELS_FR, Role


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Fuseau horaire inconnu : %(tz)s"), params={"tz": value}) from exc


class Authority(models.Model):
    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        EPCI = "epci", _("Intercommunalité (EPCI)")
        DEPARTEMENT = "departement", _("Département")
        REGION = "region", _("Région")
        OTHER = "other", _("Autre")

    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    insee_code = models.CharField(_("code INSEE"), max_length=10, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    timezone = models.CharField(
        _("fuseau horaire"), max_length=64, default="Europe/Paris", validators=[validate_timezone]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collectivité")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=[(r.value, ROLE_LABELS_FR[r]) for r in Role])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "authority"], name="one_membership_per_authority")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.authority} ({self.role})"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        token = "pv_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.hash(token), prefix=token[:8]), token


class CalendarFeed(models.Model):
    """A private iCal URL for one member's calendar application; revocable."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"iCal · {self.membership}"
