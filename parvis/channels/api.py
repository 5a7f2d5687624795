"""API of channels: list, create, read and edit the editorial line. Credentials never leave the server."""

from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema, Status
from pydantic import Field

from parvis.domain.networks import Network
from parvis.domain.roles import Permission
from parvis.organisations.api import (
    MAX_ID,
    ErrorOut,
    InputSchema,
    ShortText,
    UtcDateTime,
    ValidationErrorOut,
    member,
)

from .actions import create_channel, update_editorial_line
from .models import Channel

NetworkName = Literal[tuple(n.value for n in Network)]  # type: ignore[valid-type]
AccountKind = Literal["institutional", "personal"]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = lundi … 6 = dimanche")]


class SlotIn(InputSchema):
    weekday: Weekday
    time: Annotated[str, Field(max_length=5, description="Heure locale HH:MM", examples=["09:30"])]


class SlotOut(Schema):
    weekday: int
    time: str


# `str = None`: a field may be left out, but an explicit null is refused (the columns are not nullable).
class EditorialIn(InputSchema):
    display_name: ShortText = None
    account_kind: AccountKind = None
    audience: ShortText = None
    tone: ShortText = None
    themes: Annotated[list[ShortText], Field(max_length=50)] = None
    slots: Annotated[list[SlotIn], Field(max_length=100)] = None
    target_posts_per_week: Annotated[int, Field(ge=0, le=100)] = None


class ChannelIn(EditorialIn):
    network: NetworkName
    handle: ShortText
    is_sandbox: bool = False


class ChannelOut(Schema):
    id: int
    network: str
    network_label: str
    handle: str
    display_name: str
    account_kind: str
    is_sandbox: bool
    status: str
    audience: str
    tone: str
    themes: list[str]
    slots: list[SlotOut]
    target_posts_per_week: int
    created_at: UtcDateTime


def _editorial(payload: EditorialIn) -> dict:
    data = payload.model_dump(exclude_unset=True, exclude={"network", "handle", "is_sandbox"})
    return data


ChannelId = Annotated[int, Path(ge=1, le=MAX_ID)]
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}

router = Router(tags=["Comptes"])


@router.get("/authorities/{slug}/channels", response={200: list[ChannelOut], **ERRORS}, summary="Les comptes")
def list_channels(request, slug: str):
    m = member(request, slug)
    return Channel.objects.filter(authority=m.authority)


@router.post("/authorities/{slug}/channels", response={201: ChannelOut, **ERRORS}, summary="Ajouter un compte")
def add_channel(request, slug: str, payload: ChannelIn):
    m = member(request, slug, Permission.MANAGE_CHANNELS)
    channel = create_channel(
        m, network=payload.network, handle=payload.handle, is_sandbox=payload.is_sandbox, **_editorial(payload)
    )
    return Status(201, channel)


@router.get("/authorities/{slug}/channels/{channel_id}", response={200: ChannelOut, **ERRORS}, summary="Un compte")
def get_channel(request, slug: str, channel_id: ChannelId):
    m = member(request, slug)
    return get_object_or_404(Channel, authority=m.authority, pk=channel_id)


@router.patch(
    "/authorities/{slug}/channels/{channel_id}",
    response={200: ChannelOut, **ERRORS},
    summary="Modifier la ligne éditoriale",
    description="Seuls les champs envoyés sont modifiés.",
)
def edit_channel(request, slug: str, channel_id: ChannelId, payload: EditorialIn):
    m = member(request, slug, Permission.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel, authority=m.authority, pk=channel_id)
    return update_editorial_line(m, channel, **_editorial(payload))
