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


def _team_member(membership: Membership, member: Membership) -> Membership:
    """The member, locked, if it belongs to the acting membership's authority; another authority's is a 404."""
    from django.http import Http404

    if member.authority_id != membership.authority_id:
        raise Http404("Membre introuvable")
    try:
        return Membership.objects.select_for_update().select_related("user").get(
            pk=member.pk, authority_id=membership.authority_id)
    except Membership.DoesNotExist:
        raise Http404("Membre introuvable") from None


def _other_directors(member: Membership) -> int:
    # Locks the directors' rows: two directors demoting each other at once cannot leave none.
    return len(
        Membership.objects.select_for_update()
        .filter(authority_id=member.authority_id, role=Role.DIRECTOR)
        .exclude(pk=member.pk)
        .values_list("pk", flat=True)
    )


def change_role(membership: Membership, member: Membership, role: str) -> Membership:
    """Give `member` another role. The authority always keeps at least one director."""
    require(membership, Permission.MANAGE_MEMBERS)
    if role not in Role.__members__.values():
        raise ValidationError({"role": f"Rôle inconnu : {role}."})
    with transaction.atomic():
        member = _team_member(membership, member)
        old = member.role
        if old == role:
            return member
        if old == Role.DIRECTOR and _other_directors(member) == 0:
            raise ValidationError({"role": (
                f"{member.user.get_username()} est la seule personne à la direction de la communication : "
                "nommez d'abord une autre personne à ce rôle, puis changez le sien.")})
        member.role = role
        member.save(update_fields=["role"])
        record(membership.authority, membership.user, "member.role_changed", member,
               before={"user": member.user.get_username(), "role": old},
               after={"user": member.user.get_username(), "role": role})
    return member


def remove_member(membership: Membership, member: Membership) -> None:
    """Remove `member` from the team (the user account stays). Never the last director."""
    require(membership, Permission.MANAGE_MEMBERS)
    with transaction.atomic():
        member = _team_member(membership, member)
        if member.role == Role.DIRECTOR and _other_directors(member) == 0:
            raise ValidationError({"__all__": (
                f"{member.user.get_username()} est la seule personne à la direction de la communication : "
                "nommez d'abord une autre personne à ce rôle avant de la retirer de l'équipe.")})
        username = member.user.get_username()
        record(membership.authority, membership.user, "member.removed", member,
               before={"user": username, "role": member.role})
        member.delete()
