"""Permission-checked reads. An object of another authority is a 404; a missing permission a 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from parvis.domain.roles import PERMISSION_LABELS_FR, Permission, can

from .models import Authority, Membership


def membership_for(user, authority_slug: str) -> Membership:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    try:
        return Membership.objects.select_related("authority", "user").get(
            user=user, authority__slug=authority_slug
        )
    except Membership.DoesNotExist:
        raise Http404("Collectivité introuvable") from None


def require(membership: Membership, permission: Permission) -> None:
    if not can(membership.role, permission):
        raise PermissionDenied(f"Votre rôle ne permet pas de {PERMISSION_LABELS_FR[permission]}.")


def authorities_of(user):
    return Authority.objects.filter(memberships__user=user).order_by("name")
