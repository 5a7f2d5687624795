"""API of publications, approvals, deliveries and the calendar. Thin: every write goes through actions.py."""

from datetime import timedelta
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema, Status
from pydantic import AfterValidator, Field

from parvis.domain.limits import get_limits
from parvis.domain.roles import Permission
from parvis.domain.states import DeliveryState, PublicationStatus
from parvis.domain.text import count_text
from parvis.organisations.api import (
    MAX_ID,
    AwareDateTime,
    ErrorOut,
    Id,
    InputSchema,
    Text,
    UtcDateTime,
    ValidationErrorOut,
    member,
    no_nul,
)

from . import actions
from .models import Delivery, Publication

PublicationStatusName = Literal[tuple(s.value for s in PublicationStatus)]  # type: ignore[valid-type]
DeliveryStateName = Literal[tuple(s.value for s in DeliveryState)]  # type: ignore[valid-type]
ScheduleMode = Literal["at", "next_slot", "now"]
Title = Annotated[str, Field(max_length=200), AfterValidator(no_nul)]
Link = Annotated[str, Field(max_length=2000), AfterValidator(no_nul)]
IdList = Annotated[list[Id], Field(max_length=100)]
MAX_CALENDAR_RANGE = timedelta(days=400)

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]

router = Router()


# --- Schemas ----------------------------------------------------------------------------------------


class PublicationIn(InputSchema):
    title: Title
    body: Text = ""
    link: Link = ""
    channels: IdList = Field(description="Identifiants des comptes de destination.")
    media: IdList = Field(default_factory=list, description="Identifiants de médias, dans l'ordre.")
    scheduled_at: AwareDateTime | None = None
    schedule_mode: ScheduleMode = "at"
    variant_texts: dict[Id, Text] = Field(
        default_factory=dict, description="Texte adapté à la main, par identifiant de compte."
    )


# `T = None`: a field may be left out, but an explicit null is refused (except scheduled_at: null clears it).
class PublicationPatch(InputSchema):
    title: Title = None
    body: Text = None
    link: Link = None
    channels: IdList = None
    media: IdList = None
    scheduled_at: AwareDateTime | None = None
    schedule_mode: ScheduleMode = None
    variant_texts: dict[Id, Text] = None


class ScheduleIn(InputSchema):
    scheduled_at: AwareDateTime = Field(None, description="Heure choisie (mode « at »).")
    schedule_mode: ScheduleMode = Field(None, description="« at », « next_slot » ou « now ».")


class CommentIn(InputSchema):
    comment: Text = ""


class RequiredCommentIn(InputSchema):
    comment: Annotated[Text, Field(min_length=1)]


class ResolveIn(InputSchema):
    published: bool = Field(description="Vrai si la publication apparaît bien sur le réseau.")
    url: Link = ""


class ProblemOut(Schema):
    code: str
    field: str
    message: str
    severity: Literal["error", "warning"]


class VariantOut(Schema):
    channel_id: int
    network: str
    handle: str
    text: str
    edited: bool = Field(description="Modifié à la main : ne suit plus le texte principal.")
    length: int = Field(description="Longueur comptée comme le réseau la compte.")
    max_length: int
    problems: list[ProblemOut]


class DecisionOut(Schema):
    round: int
    level: int
    decision: str
    comment: str
    user: str | None
    signer_label: str
    created_at: UtcDateTime


class DeliveryOut(Schema):
    id: int
    publication_id: int
    publication_title: str
    channel_id: int
    network: str
    handle: str
    state: str
    due_at: UtcDateTime
    run_after: UtcDateTime
    attempts: int
    remote_id: str
    remote_url: str
    error_code: str
    error_message: str
    error_detail: str
    published_at: UtcDateTime | None
    updated_at: UtcDateTime


class PublicationSummaryOut(Schema):
    id: int
    title: str
    status: str
    schedule_mode: str
    scheduled_at: UtcDateTime | None
    channels: list[int]
    created_by: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class PublicationOut(PublicationSummaryOut):
    body: str
    link: str
    media: list[int]
    approval_round: int
    approval_level: int = Field(description="Niveaux déjà approuvés dans ce tour.")
    approval_levels_required: int
    variants: list[VariantOut]
    decisions: list[DecisionOut]
    deliveries: list[DeliveryOut]


class Page(Schema):
    count: int
    page: int
    page_size: int


class PublicationPage(Page):
    items: list[PublicationSummaryOut]


class DeliveryPage(Page):
    items: list[DeliveryOut]


class RangeFilters(Schema):
    from_: AwareDateTime = Field(None, alias="from", description="Début (inclus), ISO 8601 avec fuseau.")
    to: AwareDateTime = Field(None, description="Fin (exclue), ISO 8601 avec fuseau.")
    channel: Id = None
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=200)


class PublicationFilters(RangeFilters):
    status: PublicationStatusName = None


class DeliveryFilters(RangeFilters):
    state: DeliveryStateName = None


class CalendarQuery(Schema):
    from_: AwareDateTime = Field(alias="from", description="Début (inclus), ISO 8601 avec fuseau.")
    to: AwareDateTime = Field(description="Fin (exclue), ISO 8601 avec fuseau.")


class CalendarOut(Schema):
    timezone: str = Field(description="Fuseau horaire de la collectivité (les heures sont en UTC).")
    from_: UtcDateTime = Field(alias="from")
    to: UtcDateTime
    publications: list[PublicationSummaryOut]
    deliveries: list[DeliveryOut]


# --- Serialisation ----------------------------------------------------------------------------------


def _summary(pub: Publication) -> dict:
    return {
        "id": pub.id,
        "title": pub.title,
        "status": pub.status,
        "schedule_mode": pub.schedule_mode,
        "scheduled_at": pub.scheduled_at,
        "channels": sorted(v.channel_id for v in pub.variants.all()),
        "created_by": pub.created_by.get_username() if pub.created_by else None,
        "created_at": pub.created_at,
        "updated_at": pub.updated_at,
    }


def _delivery(d: Delivery) -> dict:
    return {
        "id": d.id,
        "publication_id": d.publication_id,
        "publication_title": d.publication.title,
        "channel_id": d.channel_id,
        "network": d.channel.network,
        "handle": d.channel.handle,
        "state": d.state,
        "due_at": d.due_at,
        "run_after": d.run_after,
        "attempts": d.attempts,
        "remote_id": d.remote_id,
        "remote_url": d.remote_url,
        "error_code": d.error_code,
        "error_message": d.error_message,
        "error_detail": d.error_detail,
        "published_at": d.published_at,
        "updated_at": d.updated_at,
    }


def _variants(pub: Publication) -> list[dict]:
    problems = actions.variant_problems(pub)
    overrides = actions.limit_overrides()
    out = []
    for v in pub.variants.select_related("channel").order_by("channel__network", "channel__handle"):
        limits = get_limits(v.channel.network, overrides)
        out.append({
            "channel_id": v.channel_id,
            "network": v.channel.network,
            "handle": v.channel.handle,
            "text": v.text,
            "edited": v.edited,
            "length": count_text(v.text, limits.counting, url_length=limits.url_length or 23),
            "max_length": limits.max_chars,
            "problems": [
                {"code": p.code, "field": p.field, "message": p.message, "severity": p.severity}
                for p in problems.get(v.channel_id, [])
            ],
        })
    return out


def _detail(pub: Publication) -> dict:
    pub = _publications().get(pk=pub.pk)  # fresh: actions may have changed it
    return {
        **_summary(pub),
        "body": pub.body,
        "link": pub.link,
        "media": list(pub.publicationmedia_set.values_list("asset_id", flat=True)),
        "approval_round": pub.approval_round,
        "approval_level": pub.approval_level,
        "approval_levels_required": len(actions.approval_levels(pub)),
        "variants": _variants(pub),
        "decisions": [
            {"round": d.round, "level": d.level, "decision": d.decision, "comment": d.comment,
             "user": d.user.get_username() if d.user else None, "signer_label": d.signer_label,
             "created_at": d.created_at}
            for d in pub.decisions.select_related("user")
        ],
        "deliveries": [_delivery(d) for d in _deliveries().filter(publication=pub).order_by("due_at", "id")],
    }


def _publications():
    return Publication.objects.select_related("created_by").prefetch_related("variants")


def _deliveries():
    return Delivery.objects.select_related("publication", "channel")


def _page(queryset, filters: RangeFilters, serialise) -> dict:
    start = (filters.page - 1) * filters.page_size
    return {
        "count": queryset.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [serialise(x) for x in queryset[start:start + filters.page_size]],
    }


def _publication(m, pub_id: int) -> Publication:
    return get_object_or_404(Publication, authority=m.authority, pk=pub_id)


def _check_range(start, end, *, required: bool = False) -> None:
    if start is not None and end is not None:
        if end <= start:
            raise ValidationError({"to": "La fin doit être après le début."})
        if required and end - start > MAX_CALENDAR_RANGE:
            raise ValidationError({"to": f"Période trop longue : {MAX_CALENDAR_RANGE.days} jours au plus."})


# --- Publications -----------------------------------------------------------------------------------

PUB = "/authorities/{slug}/publications"


@router.get(PUB, response={200: PublicationPage, **ERRORS}, tags=["Publications"],
            summary="Les publications (filtrées, paginées)")
def list_publications(request, slug: str, filters: Query[PublicationFilters]):
    m = member(request, slug)
    _check_range(filters.from_, filters.to)
    qs = _publications().filter(authority=m.authority)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(variants__channel_id=filters.channel)
    if filters.from_:
        qs = qs.filter(scheduled_at__gte=filters.from_)
    if filters.to:
        qs = qs.filter(scheduled_at__lt=filters.to)
    return _page(qs.order_by("-scheduled_at", "-id"), filters, _summary)


@router.post(PUB, response={201: PublicationOut, **ERRORS}, tags=["Publications"], summary="Écrire une publication")
def create_publication(request, slug: str, payload: PublicationIn):
    m = member(request, slug, Permission.DRAFT)
    pub = actions.create_publication(
        m, title=payload.title, body=payload.body, link=payload.link, channel_ids=payload.channels,
        media_ids=payload.media, scheduled_at=payload.scheduled_at, schedule_mode=payload.schedule_mode,
        variant_texts=payload.variant_texts,
    )
    return Status(201, _detail(pub))


@router.get(PUB + "/{pub_id}", response={200: PublicationOut, **ERRORS}, tags=["Publications"],
            summary="Une publication, avec ses variantes, leurs problèmes et leur longueur comptée")
def get_publication(request, slug: str, pub_id: ObjectId):
    m = member(request, slug)
    return _detail(_publication(m, pub_id))


@router.patch(PUB + "/{pub_id}", response={200: PublicationOut, **ERRORS}, tags=["Publications"],
              summary="Modifier une publication",
              description="Seuls les champs envoyés sont modifiés. Une modification visible après approbation "
                          "renvoie la publication en validation.")
def update_publication(request, slug: str, pub_id: ObjectId, payload: PublicationPatch):
    m = member(request, slug, Permission.DRAFT)
    pub = _publication(m, pub_id)
    data = payload.model_dump(exclude_unset=True)
    kwargs = {
        "title": data.get("title"), "body": data.get("body"), "link": data.get("link"),
        "channel_ids": data.get("channels"), "media_ids": data.get("media"),
        "schedule_mode": data.get("schedule_mode"), "variant_texts": data.get("variant_texts"),
    }
    if "scheduled_at" in data:
        kwargs["scheduled_at"] = data["scheduled_at"]
    return _detail(actions.update_publication(m, pub, **kwargs))


@router.post(PUB + "/{pub_id}/submit", response={200: PublicationOut, **ERRORS}, tags=["Validation"],
             summary="Envoyer en validation (ou programmer, sans niveau d'approbation)")
def submit(request, slug: str, pub_id: ObjectId):
    m = member(request, slug, Permission.SUBMIT)
    return _detail(actions.submit(m, _publication(m, pub_id)))


@router.post(PUB + "/{pub_id}/approve", response={200: PublicationOut, **ERRORS}, tags=["Validation"],
             summary="Approuver le niveau en cours")
def approve(request, slug: str, pub_id: ObjectId, payload: CommentIn | None = None):
    m = member(request, slug)
    pub = _publication(m, pub_id)
    return _detail(actions.decide(m, pub, "approve", payload.comment if payload else ""))


@router.post(PUB + "/{pub_id}/reject", response={200: PublicationOut, **ERRORS}, tags=["Validation"],
             summary="Refuser (commentaire obligatoire) : retour en brouillon")
def reject(request, slug: str, pub_id: ObjectId, payload: RequiredCommentIn):
    m = member(request, slug)
    pub = _publication(m, pub_id)
    if not payload.comment.strip():
        raise ValidationError({"comment": "Expliquez le refus : le commentaire est obligatoire."})
    return _detail(actions.decide(m, pub, "reject", payload.comment))


@router.post(PUB + "/{pub_id}/comment", response={200: PublicationOut, **ERRORS}, tags=["Validation"],
             summary="Commenter")
def comment(request, slug: str, pub_id: ObjectId, payload: RequiredCommentIn):
    m = member(request, slug, Permission.COMMENT)
    pub = _publication(m, pub_id)
    if not payload.comment.strip():
        raise ValidationError({"comment": "Le commentaire est vide."})
    return _detail(actions.decide(m, pub, "comment", payload.comment))


@router.post(PUB + "/{pub_id}/schedule", response={200: PublicationOut, **ERRORS}, tags=["Publications"],
             summary="Choisir l'heure ou le mode de programmation",
             description="Met à jour la publication ; si elle était approuvée, le changement la renvoie en "
                         "validation selon les règles d'approbation.")
def schedule(request, slug: str, pub_id: ObjectId, payload: ScheduleIn):
    m = member(request, slug, Permission.SCHEDULE)
    pub = _publication(m, pub_id)
    data = payload.model_dump(exclude_unset=True)
    mode = data.get("schedule_mode") or ("at" if data.get("scheduled_at") else None)
    if mode is None:
        raise ValidationError({"scheduled_at": "Indiquez une date (scheduled_at) ou un mode (schedule_mode)."})
    if mode == "at" and data.get("scheduled_at") is None and pub.scheduled_at is None:
        raise ValidationError({"scheduled_at": "Choisissez une date de publication."})
    kwargs = {"schedule_mode": mode}
    if data.get("scheduled_at") is not None:
        kwargs["scheduled_at"] = data["scheduled_at"]
    return _detail(actions.update_publication(m, pub, **kwargs))


@router.post(PUB + "/{pub_id}/cancel", response={200: PublicationOut, **ERRORS}, tags=["Publications"],
             summary="Annuler (les diffusions programmées sont annulées)")
def cancel(request, slug: str, pub_id: ObjectId):
    m = member(request, slug, Permission.SCHEDULE)
    return _detail(actions.cancel(m, _publication(m, pub_id)))


# --- Deliveries -------------------------------------------------------------------------------------

DEL = "/authorities/{slug}/deliveries"


def _delivery_of(m, delivery_id: int) -> Delivery:
    return get_object_or_404(_deliveries(), authority=m.authority, pk=delivery_id)


@router.get(DEL, response={200: DeliveryPage, **ERRORS}, tags=["Diffusions"],
            summary="Les diffusions (une par publication et par compte)")
def list_deliveries(request, slug: str, filters: Query[DeliveryFilters]):
    m = member(request, slug)
    _check_range(filters.from_, filters.to)
    qs = _deliveries().filter(authority=m.authority)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.channel:
        qs = qs.filter(channel_id=filters.channel)
    if filters.from_:
        qs = qs.filter(due_at__gte=filters.from_)
    if filters.to:
        qs = qs.filter(due_at__lt=filters.to)
    return _page(qs.order_by("-due_at", "-id"), filters, _delivery)


@router.get(DEL + "/{delivery_id}", response={200: DeliveryOut, **ERRORS}, tags=["Diffusions"],
            summary="Une diffusion")
def get_delivery(request, slug: str, delivery_id: ObjectId):
    m = member(request, slug)
    return _delivery(_delivery_of(m, delivery_id))


@router.post(DEL + "/{delivery_id}/retry", response={200: DeliveryOut, **ERRORS}, tags=["Diffusions"],
             summary="Relancer une diffusion en échec")
def retry(request, slug: str, delivery_id: ObjectId):
    m = member(request, slug, Permission.SCHEDULE)
    actions.retry_delivery(m, _delivery_of(m, delivery_id))
    return _delivery(_delivery_of(m, delivery_id))


@router.post(DEL + "/{delivery_id}/resolve", response={200: DeliveryOut, **ERRORS}, tags=["Diffusions"],
             summary="Dire ce que montre le réseau pour une diffusion à vérifier")
def resolve(request, slug: str, delivery_id: ObjectId, payload: ResolveIn):
    m = member(request, slug, Permission.SCHEDULE)
    delivery = _delivery_of(m, delivery_id)
    url = payload.url.strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({"url": "Adresse web invalide (http:// ou https://)."}) from None
    actions.resolve_unconfirmed(m, delivery, published=payload.published, url=url)
    return _delivery(_delivery_of(m, delivery_id))


# --- Calendar ---------------------------------------------------------------------------------------


@router.get("/authorities/{slug}/calendar", response={200: CalendarOut, **ERRORS}, tags=["Calendrier"],
            by_alias=True,
            summary="Publications et diffusions d'une période",
            description="Heures en UTC (ISO 8601), avec le nom du fuseau horaire de la collectivité.")
def calendar(request, slug: str, filters: Query[CalendarQuery]):
    m = member(request, slug)
    _check_range(filters.from_, filters.to, required=True)
    pubs = _publications().filter(
        authority=m.authority, scheduled_at__gte=filters.from_, scheduled_at__lt=filters.to
    ).order_by("scheduled_at", "id")
    deliveries = _deliveries().filter(
        authority=m.authority, due_at__gte=filters.from_, due_at__lt=filters.to
    ).order_by("due_at", "id")
    return {
        "timezone": m.authority.timezone,
        "from": filters.from_,
        "to": filters.to,
        "publications": [_summary(p) for p in pubs],
        "deliveries": [_delivery(d) for d in deliveries],
    }
