"""Writers of authorities and memberships."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from parvis.audit.actions import record
from parvis.domain.roles import Permission, Role
from parvis.organisations import reference

from .models import Authority, Membership
from .queries import require

KIND_OF_REF = {"commune": "commune", "epci": "epci", "departement": "departement", "region": "region"}


def create_authority_from_reference(user, kind: str, code: str, *, slug: str = "") -> Authority:
    """Create an authority from the reference data; the creator becomes its director."""
    if not getattr(user, "is_staff", False):
        raise PermissionDenied("Seul un·e administrateur·rice de l'instance crée une collectivité.")
    entry = reference.get(kind, code)
    if entry is None:
        raise ValidationError({"code": f"Aucune collectivité de type {kind} avec le code {code}."})
    slug = slug or slugify(f"{entry.name}-{entry.code}")
    if Authority.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": "Cette collectivité existe déjà."})
    with transaction.atomic():
        authority = Authority.objects.create(
            slug=slug, name=entry.name, kind=KIND_OF_REF[entry.kind],
            insee_code=entry.code if entry.kind != "epci" else "", siren=entry.siren or "",
            population=entry.population, timezone=entry.timezone,
        )
        Membership.objects.create(user=user, authority=authority, role=Role.DIRECTOR)
        record(authority, user, "authority.created", authority,
               after={"name": authority.name, "kind": authority.kind, "code": code})
    return authority


def add_member(membership: Membership, *, username: str, email: str, role: str, password: str | None = None) -> Membership:
    require(membership, Permission.MANAGE_MEMBERS)
    if role not in Role.__members__.values():
        raise ValidationError({"role": f"Rôle inconnu : {role}."})
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        if Membership.objects.filter(user=user, authority=membership.authority).exists():
            raise ValidationError({"username": "Cette personne fait déjà partie de l'équipe."})
        member = Membership.objects.create(user=user, authority=membership.authority, role=role)
        record(membership.authority, membership.user, "member.added", member, after={"user": username, "role": role})
    return member
