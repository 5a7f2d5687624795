"""Writers of channels: create, edit the editorial line, store credentials, reconnect."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parvis.audit.actions import record
from parvis.domain.networks import Network
from parvis.domain.roles import Permission
from parvis.domain.slots import SlotError, parse_slots
from parvis.domain.states import DeliveryState
from parvis.organisations.queries import require

from .crypto import encrypt
from .models import Channel

EDITORIAL_FIELDS = ("audience", "tone", "themes", "slots", "target_posts_per_week", "display_name", "account_kind")


def _editorial(channel: Channel) -> dict:
    return {f: getattr(channel, f) for f in EDITORIAL_FIELDS}


def create_channel(membership, *, network: str, handle: str, is_sandbox: bool = False,
                   credentials: dict | None = None, **editorial) -> Channel:
    require(membership, Permission.MANAGE_CHANNELS)
    if network not in Network.__members__.values():
        raise ValidationError({"network": f"Réseau inconnu : {network}."})
    if not (handle or "").strip():
        raise ValidationError({"handle": "Indiquez l'identifiant du compte."})
    if Channel.objects.filter(authority=membership.authority, network=network, handle=handle.strip()).exists():
        raise ValidationError({"handle": "Ce compte existe déjà."})
    with transaction.atomic():
        channel = Channel(authority=membership.authority, network=network, handle=handle.strip(),
                          is_sandbox=is_sandbox)
        _apply_editorial(channel, editorial)
        channel.credentials = encrypt(credentials or {})
        channel.full_clean(exclude=["credentials", "authority"])
        channel.save()
        record(membership.authority, membership.user, "channel.created", channel,
               after={"network": network, "handle": channel.handle, "sandbox": is_sandbox, **_editorial(channel)})
    return channel


def _apply_editorial(channel: Channel, editorial: dict) -> None:
    unknown = set(editorial) - set(EDITORIAL_FIELDS)
    if unknown:
        raise ValidationError({f: "Champ inconnu." for f in unknown})
    if "slots" in editorial:
        try:
            parse_slots(editorial["slots"])
        except SlotError as exc:
            raise ValidationError({"slots": str(exc)}) from exc
    if "themes" in editorial and not isinstance(editorial["themes"], list):
        raise ValidationError({"themes": "Les thèmes sont une liste."})
    for field, value in editorial.items():
        setattr(channel, field, value)


def update_editorial_line(membership, channel: Channel, **editorial) -> Channel:
    require(membership, Permission.MANAGE_CHANNELS)
    if channel.authority_id != membership.authority_id:
        from django.http import Http404

        raise Http404
    with transaction.atomic():
        before = _editorial(channel)
        _apply_editorial(channel, editorial)
        channel.full_clean(exclude=["credentials", "authority"])
        channel.save()
        record(membership.authority, membership.user, "channel.editorial_line", channel, before=before,
               after=_editorial(channel))
    return channel


def reconnect(membership, channel: Channel, credentials: dict) -> Channel:
    """New credentials: the channel is active again and its held deliveries leave now."""
    require(membership, Permission.MANAGE_CHANNELS)
    if channel.authority_id != membership.authority_id:
        from django.http import Http404

        raise Http404
    with transaction.atomic():
        old = channel.status
        channel.credentials = encrypt(credentials)
        channel.status = Channel.Status.ACTIVE
        channel.save(update_fields=["credentials", "status"])
        channel.deliveries.filter(state=DeliveryState.SCHEDULED, run_after__lt=timezone.now()).update(
            run_after=timezone.now()
        )
        record(membership.authority, membership.user, "channel.reconnected", channel,
               before={"status": old}, after={"status": channel.status})
    return channel
