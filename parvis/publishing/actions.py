"""The only writers of publications, variants, approvals and deliveries.

Each action checks the member's permission, writes in one transaction, records an audit event and
schedules follow-up work on commit. Views and the API are thin wrappers around these functions.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from parvis.audit.actions import record
from parvis.channels.models import Channel
from parvis.domain import approval as approval_rules
from parvis.domain.adapt import derive_variant_text
from parvis.domain.limits import get_limits
from parvis.domain.roles import Permission, can
from parvis.domain.slots import SlotError, next_free_slot, parse_slots
from parvis.domain.states import DeliveryState, PublicationStatus, ensure_publication_transition
from parvis.domain.validation import MediaInfo, validate_variant
from parvis.organisations.models import Membership
from parvis.organisations.queries import require

from .models import (
    ApprovalDecision,
    ApprovalRule,
    Delivery,
    MediaAsset,
    Publication,
    PublicationMedia,
    Variant,
)

P = PublicationStatus
APPROVAL_SALT = "parvis.approval-link"


def limit_overrides() -> dict | None:
    import json

    raw = settings.NETWORK_LIMIT_OVERRIDES
    return json.loads(raw) if raw else None


def _snapshot(pub: Publication) -> dict:
    return {
        "title": pub.title,
        "body": pub.body,
        "link": pub.link,
        "status": pub.status,
        "scheduled_at": pub.scheduled_at.isoformat() if pub.scheduled_at else None,
        "channels": sorted(pub.variants.values_list("channel_id", flat=True)),
        "media": list(PublicationMedia.objects.filter(publication=pub).values_list("asset_id", flat=True)),
    }


def _channels_of(membership: Membership, channel_ids) -> list[Channel]:
    ids = [int(i) for i in channel_ids or []]
    channels = list(Channel.objects.filter(authority=membership.authority, id__in=ids))
    if len(channels) != len(set(ids)):
        raise ValidationError({"channels": "Un des comptes choisis n'existe pas dans votre collectivité."})
    if not channels:
        raise ValidationError({"channels": "Choisissez au moins un compte."})
    return channels


def _media_of(membership: Membership, media_ids) -> list[MediaAsset]:
    ids = [int(i) for i in media_ids or []]
    assets = {a.id: a for a in MediaAsset.objects.filter(authority=membership.authority, id__in=ids)}
    if len(assets) != len(set(ids)):
        raise ValidationError({"media": "Un des médias choisis n'existe pas dans votre médiathèque."})
    return [assets[i] for i in ids]


def _check_time(scheduled_at: datetime | None, now: datetime) -> None:
    if scheduled_at is not None:
        if timezone.is_naive(scheduled_at):
            raise ValidationError({"scheduled_at": "La date doit préciser son fuseau horaire."})
        if scheduled_at < now - timedelta(minutes=1):
            raise ValidationError({"scheduled_at": "Cette date est déjà passée."})


def _sync_variants(pub: Publication, channels: list[Channel], variant_texts: dict[int, str] | None) -> bool:
    """Keep one variant per channel; derived ones follow the main text, edited ones are kept."""
    changed = False
    wanted = {c.id: c for c in channels}
    removed = pub.variants.exclude(channel_id__in=wanted)
    if removed.exists():
        removed.delete()
        pub.deliveries.exclude(channel_id__in=wanted).filter(state=DeliveryState.SCHEDULED).delete()
        changed = True
    existing = {v.channel_id: v for v in pub.variants.all()}
    for channel in channels:
        custom = (variant_texts or {}).get(channel.id)
        variant = existing.get(channel.id) or Variant(publication=pub, channel=channel)
        if custom is not None and custom != derive_variant_text(channel.network, pub.body, pub.link):
            text, edited = custom, True
        elif custom is not None or not variant.edited:
            text, edited = derive_variant_text(channel.network, pub.body, pub.link), False
        else:
            text, edited = variant.text, True
        if variant.pk is None or variant.text != text or variant.edited != edited:
            changed = changed or variant.pk is None or variant.text != text
            variant.text, variant.edited = text, edited
            variant.save()
    return changed


def _set_media(pub: Publication, assets: list[MediaAsset]) -> bool:
    current = list(PublicationMedia.objects.filter(publication=pub).values_list("asset_id", flat=True))
    if current == [a.id for a in assets]:
        return False
    PublicationMedia.objects.filter(publication=pub).delete()
    PublicationMedia.objects.bulk_create(
        [PublicationMedia(publication=pub, asset=a, position=i) for i, a in enumerate(assets)]
    )
    return True


def create_publication(membership: Membership, *, title: str, body: str = "", link: str = "",
                       channel_ids=(), media_ids=(), scheduled_at: datetime | None = None,
                       schedule_mode: str = Publication.ScheduleMode.AT,
                       variant_texts: dict[int, str] | None = None) -> Publication:
    require(membership, Permission.DRAFT)
    if not (title or "").strip():
        raise ValidationError({"title": "Donnez un titre interne à la publication."})
    if schedule_mode not in Publication.ScheduleMode.values:
        raise ValidationError({"schedule_mode": "Mode de programmation inconnu."})
    _check_time(scheduled_at, timezone.now())
    channels = _channels_of(membership, channel_ids)
    assets = _media_of(membership, media_ids)
    with transaction.atomic():
        pub = Publication(
            authority=membership.authority, title=title.strip()[:200], body=body or "", link=link or "",
            scheduled_at=scheduled_at, schedule_mode=schedule_mode, created_by=membership.user,
        )
        pub.full_clean(exclude=["created_by", "authority"])
        pub.save()
        _set_media(pub, assets)
        _sync_variants(pub, channels, variant_texts)
        record(membership.authority, membership.user, "publication.created", pub, after=_snapshot(pub))
    return pub


def update_publication(membership: Membership, pub: Publication, *, title=None, body=None, link=None,
                       channel_ids=None, media_ids=None, scheduled_at=..., schedule_mode=None,
                       variant_texts: dict[int, str] | None = None) -> Publication:
    """Edit; an edit that changes what citizens will see after approval sends it back for approval."""
    require(membership, Permission.DRAFT)
    _ensure_same_authority(membership, pub)
    if pub.status not in {P.DRAFT, P.IN_REVIEW, P.APPROVED, P.CANCELLED}:
        raise ValidationError({"status": "Une publication déjà publiée ne se modifie plus."})
    if membership.role == "contributor" and pub.created_by_id != membership.user_id and pub.status != P.DRAFT:
        raise PermissionDenied("Un·e contributeur·rice ne modifie que ses brouillons.")
    with transaction.atomic():
        pub = Publication.objects.select_for_update().get(pk=pub.pk)
        before = _snapshot(pub)
        changed: set[str] = set()
        for field, value in (("title", title), ("body", body), ("link", link), ("schedule_mode", schedule_mode)):
            if value is not None and getattr(pub, field) != value:
                setattr(pub, field, value)
                changed.add(field)
        if scheduled_at is not ... and scheduled_at != pub.scheduled_at:
            _check_time(scheduled_at, timezone.now())
            pub.scheduled_at = scheduled_at
            changed.add("scheduled_at")
        if not pub.title.strip():
            raise ValidationError({"title": "Donnez un titre interne à la publication."})
        pub.full_clean(exclude=["created_by", "authority"])
        pub.save()
        if media_ids is not None and _set_media(pub, _media_of(membership, media_ids)):
            changed.add("media")
        channels = _channels_of(membership, channel_ids) if channel_ids is not None else [
            v.channel for v in pub.variants.select_related("channel")
        ]
        if _sync_variants(pub, channels, variant_texts):
            changed.add("variants")
        if channel_ids is not None and set(before["channels"]) != {c.id for c in channels}:
            changed.add("channels")
        if approval_rules.requires_reapproval(pub.status, changed, approved_levels=pub.approval_level):
            _back_to_draft(pub, reason="edit")
        record(membership.authority, membership.user, "publication.updated", pub, before=before,
               after=_snapshot(pub))
    return pub


def _ensure_same_authority(membership: Membership, obj) -> None:
    if obj.authority_id != membership.authority_id:
        from django.http import Http404

        raise Http404


def _back_to_draft(pub: Publication, *, reason: str) -> None:
    """Cancel pending deliveries and restart the approval round."""
    pub.deliveries.filter(state=DeliveryState.SCHEDULED).update(state=DeliveryState.CANCELLED)
    if pub.status != P.DRAFT:
        ensure_publication_transition(pub.status, P.DRAFT)
    pub.status = P.DRAFT
    pub.approval_level = 0
    pub.save(update_fields=["status", "approval_level", "updated_at"])


def variant_problems(pub: Publication) -> dict[int, list]:
    """Validation of every variant against its network's rules, keyed by channel id."""
    overrides = limit_overrides()
    media = [
        MediaInfo(kind=a.kind, mime_type=a.mime_type, size_bytes=a.size_bytes, width=a.width, height=a.height,
                  duration_s=a.duration_s, alt_text=a.alt_text, has_subtitles=a.has_subtitles)
        for a in pub.media.order_by("publicationmedia__position")
    ]
    out = {}
    for v in pub.variants.select_related("channel"):
        out[v.channel_id] = validate_variant(
            v.channel.network, v.text, media, link=pub.link, limits=get_limits(v.channel.network, overrides)
        )
    return out


def approval_levels(pub: Publication) -> list:
    rules = {r.channel_id: r.levels for r in ApprovalRule.objects.filter(authority_id=pub.authority_id)}
    channel_ids = sorted(pub.variants.values_list("channel_id", flat=True))
    authority_levels = approval_rules.parse_levels(rules.get(None, []))
    per_channel = [(c, approval_rules.parse_levels(rules[c]) if c in rules else None) for c in channel_ids]
    return approval_rules.effective_levels(authority_levels, per_channel)


def submit(membership: Membership, pub: Publication) -> Publication:
    """Send for approval; with no approval level, it is approved and scheduled at once."""
    require(membership, Permission.SUBMIT)
    _ensure_same_authority(membership, pub)
    if pub.status != P.DRAFT:
        raise ValidationError({"status": "Seul un brouillon peut être envoyé en validation."})
    errors = {
        cid: [p.message for p in problems if p.severity == "error"]
        for cid, problems in variant_problems(pub).items()
    }
    errors = {cid: msgs for cid, msgs in errors.items() if msgs}
    if errors:
        names = dict(Channel.objects.filter(id__in=errors).values_list("id", "handle"))
        raise ValidationError({"variants": [f"{names[c]} : {m}" for c, msgs in errors.items() for m in msgs]})
    if not pub.variants.exists():
        raise ValidationError({"channels": "Choisissez au moins un compte."})
    if pub.schedule_mode == Publication.ScheduleMode.AT and pub.scheduled_at is None:
        raise ValidationError({"scheduled_at": "Choisissez une date de publication."})
    levels = approval_levels(pub)
    with transaction.atomic():
        pub = Publication.objects.select_for_update().get(pk=pub.pk)
        pub.approval_round += 1
        pub.approval_level = 0
        pub.approval_snapshot = approval_rules.levels_to_json(levels)
        target = P.IN_REVIEW if levels else P.APPROVED
        ensure_publication_transition(pub.status, target)
        pub.status = target
        pub.save(update_fields=["approval_round", "approval_level", "approval_snapshot", "status", "updated_at"])
        record(membership.authority, membership.user, "publication.submitted", pub,
               after={"round": pub.approval_round, "levels": len(levels)})
        if target == P.APPROVED:
            _schedule_deliveries(pub, membership.user)
    return pub


def decide(membership: Membership | None, pub: Publication, decision: str, comment: str = "", *,
           signer: dict | None = None) -> Publication:
    """Approve, reject or comment the current level. `signer` is an elected official's signed link."""
    if decision not in ApprovalDecision.Decision.values:
        raise ValidationError({"decision": "Décision inconnue (approve, reject ou comment)."})
    if membership is not None:
        _ensure_same_authority(membership, pub)
        require(membership, Permission.COMMENT if decision == "comment" else Permission.VIEW)
    with transaction.atomic():
        pub = Publication.objects.select_for_update().get(pk=pub.pk)
        levels = (approval_rules.parse_levels(pub.approval_snapshot) if pub.approval_snapshot is not None
                  else approval_levels(pub))
        if decision != "comment" and membership is not None:
            may_decide(membership, levels)
        if decision != "comment":
            if pub.status != P.IN_REVIEW:
                raise ValidationError({"status": "Cette publication n'attend pas de validation."})
            if signer is not None:
                if signer["round"] != pub.approval_round or signer["level"] != pub.approval_level:
                    raise ValidationError({"token": "Ce lien de validation n'est plus valable (la publication a changé)."})
            else:
                earlier = pub.decisions.filter(round=pub.approval_round, decision="approve").values_list(
                    "user_id", flat=True)
                verdict = approval_rules.can_approve(
                    levels, pub.approval_level, user_id=membership.user_id, role=membership.role,
                    author_id=pub.created_by_id, previous_approver_ids=[u for u in earlier if u],
                )
                if not verdict.allowed:
                    raise PermissionDenied(verdict.reason_fr)
        ApprovalDecision.objects.create(
            publication=pub, round=pub.approval_round, level=pub.approval_level, decision=decision,
            comment=comment or "", user=membership.user if membership else None,
            signer_label=(signer or {}).get("name", ""),
        )
        actor = membership.user if membership else None
        label = f"{signer['name']} (lien signé)" if signer else ""
        if decision == "comment":
            record(pub.authority, actor, "publication.commented", pub, after={"comment": comment}, actor_label=label)
            return pub
        approved, outcome = approval_rules.next_state_after_decision(len(levels), pub.approval_level, decision)
        pub.approval_level = approved
        if outcome == "rejected":
            _back_to_draft(pub, reason="rejected")
        elif outcome == "approved":
            ensure_publication_transition(pub.status, P.APPROVED)
            pub.status = P.APPROVED
            pub.save(update_fields=["approval_level", "status", "updated_at"])
            _schedule_deliveries(pub, actor)
        else:
            pub.save(update_fields=["approval_level", "updated_at"])
        record(pub.authority, actor, f"publication.{decision}d" if decision != "reject" else "publication.rejected",
               pub, after={"level": pub.approval_level, "outcome": outcome, "comment": comment}, actor_label=label)
    return pub


def may_decide(membership: Membership, levels) -> None:
    """Approvers are the roles that may approve, or people named in a level (an elected official)."""
    if can(membership.role, Permission.APPROVE) or any(membership.user_id in lv.user_ids for lv in levels):
        return
    raise PermissionDenied("Votre rôle ne permet pas d'approuver ni de refuser une publication.")


def approval_link(membership: Membership, pub: Publication, *, name: str, email: str = "") -> str:
    """A signed, expiring link that lets an elected official approve the current level without an account."""
    require(membership, Permission.SUBMIT)
    _ensure_same_authority(membership, pub)
    if pub.status != P.IN_REVIEW:
        raise ValidationError({"status": "La publication doit être en validation."})
    token = signing.dumps(
        {"pub": pub.pk, "round": pub.approval_round, "level": pub.approval_level, "name": name, "email": email},
        salt=APPROVAL_SALT, compress=True,
    )
    record(pub.authority, membership.user, "approval_link.issued", pub, after={"name": name, "email": email})
    return token


def read_approval_link(token: str) -> tuple[Publication, dict]:
    try:
        data = signing.loads(token, salt=APPROVAL_SALT, max_age=settings.APPROVAL_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError({"token": "Ce lien de validation a expiré. Demandez-en un nouveau."}) from None
    except signing.BadSignature:
        raise ValidationError({"token": "Ce lien de validation n'est pas valide."}) from None
    pub = Publication.objects.select_related("authority").get(pk=data["pub"])
    return pub, data


def preferred_slots(channel, slots, now: datetime) -> list | None:
    """The editorial slots where this channel's posts engaged best (its own last 16 weeks), if it has
    enough history; None otherwise, and the plain first free slot is used."""
    from parvis.analytics.queries import heat_map

    mine, _peers = heat_map(channel, now)
    if mine.too_thin:
        return None
    scored = {s: mine.cells.get((s.weekday, (s.time.hour * 60 + s.time.minute) // 30)) for s in slots}
    means = [cell.mean for cell in scored.values() if cell is not None]
    if not means:
        return None
    top = max(means)
    return [s for s, cell in scored.items() if cell is not None and cell.mean == top]


def _schedule_deliveries(pub: Publication, actor) -> None:
    """Create or reset the ledger rows; each channel at the chosen time or its next free slot."""
    now = timezone.now()
    tz_name = pub.authority.timezone
    for variant in pub.variants.select_related("channel"):
        channel = variant.channel
        if pub.schedule_mode == Publication.ScheduleMode.NEXT_SLOT:
            try:
                slots = parse_slots(channel.slots)
            except SlotError as exc:
                raise ValidationError({"slots": f"{channel} : {exc}"}) from exc
            taken = list(
                Delivery.objects.filter(channel=channel, state__in=[DeliveryState.SCHEDULED, DeliveryState.SENDING,
                                                                     DeliveryState.PUBLISHED], due_at__gte=now)
                .exclude(publication=pub).values_list("due_at", flat=True)
            )
            due = next_free_slot(slots, tz_name, now, taken, prefer=preferred_slots(channel, slots, now))
            if due is None:
                raise ValidationError({"slots": f"{channel} : aucun créneau libre dans la ligne éditoriale."})
        elif pub.schedule_mode == Publication.ScheduleMode.NOW or pub.scheduled_at is None:
            due = now
        else:
            due = max(pub.scheduled_at, now)
        delivery, created = Delivery.objects.get_or_create(
            publication=pub, channel=channel,
            defaults={"authority_id": pub.authority_id, "due_at": due, "run_after": due},
        )
        if not created:
            if delivery.state == DeliveryState.PUBLISHED:
                continue
            Delivery.objects.filter(pk=delivery.pk, state__in=[DeliveryState.CANCELLED, DeliveryState.FAILED,
                                                                DeliveryState.SCHEDULED]).update(
                state=DeliveryState.SCHEDULED, due_at=due, run_after=due, error_code="", error_message="",
                error_detail="", attempts=0,
            )
    first = pub.deliveries.order_by("due_at").values_list("due_at", flat=True).first()
    if first and pub.scheduled_at != first:
        pub.scheduled_at = first
        pub.save(update_fields=["scheduled_at", "updated_at"])
    record(pub.authority, actor, "publication.scheduled", pub, after={"first_due_at": first.isoformat() if first else None})


def cancel(membership: Membership, pub: Publication) -> Publication:
    require(membership, Permission.SCHEDULE)
    _ensure_same_authority(membership, pub)
    with transaction.atomic():
        pub = Publication.objects.select_for_update().get(pk=pub.pk)
        ensure_publication_transition(pub.status, P.CANCELLED)
        before = pub.status
        pub.deliveries.filter(state=DeliveryState.SCHEDULED).update(state=DeliveryState.CANCELLED)
        pub.status = P.CANCELLED
        pub.save(update_fields=["status", "updated_at"])
        record(pub.authority, membership.user, "publication.cancelled", pub, before={"status": before},
               after={"status": pub.status})
    return pub


def retry_delivery(membership: Membership, delivery: Delivery) -> Delivery:
    """A human relaunches a failed delivery after fixing the cause."""
    require(membership, Permission.SCHEDULE)
    _ensure_same_authority(membership, delivery)
    now = timezone.now()
    with transaction.atomic():
        n = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
            state=DeliveryState.SCHEDULED, run_after=now, attempts=0, error_code="", error_message="", error_detail=""
        )
        if not n:
            raise ValidationError({"state": "Seule une diffusion en échec peut être relancée."})
        Publication.objects.filter(pk=delivery.publication_id, status__in=[P.FAILED, P.PARTIAL]).update(
            status=P.APPROVED)
        record(membership.authority, membership.user, "delivery.retried", delivery)
    delivery.refresh_from_db()
    return delivery


def resolve_unconfirmed(membership: Membership, delivery: Delivery, *, published: bool, url: str = "") -> Delivery:
    """A human says what the network shows when Parvis cannot look the post up itself."""
    require(membership, Permission.SCHEDULE)
    _ensure_same_authority(membership, delivery)
    now = timezone.now()
    with transaction.atomic():
        row = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.UNCONFIRMED)
        changes = (
            dict(state=DeliveryState.PUBLISHED, remote_url=url, published_at=now, error_code="", error_message="")
            if published else dict(state=DeliveryState.SCHEDULED, run_after=now, error_code="", error_message="")
        )
        if not row.update(**changes):
            raise ValidationError({"state": "Cette diffusion n'est pas à vérifier."})
        record(membership.authority, membership.user, "delivery.resolved", delivery,
               after={"published": published, "url": url})
    from .dispatch import refresh_publication_status

    refresh_publication_status({delivery.publication_id})
    delivery.refresh_from_db()
    return delivery


def upload_media(membership: Membership, uploaded, *, alt_text: str = "", has_subtitles: bool = False) -> MediaAsset:
    """Store a file in the media library after probing it; a corrupt or oversized file is refused whole."""
    from .media import MediaError, probe_file

    require(membership, Permission.DRAFT)
    size = getattr(uploaded, "size", None) or 0
    if size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": f"Fichier trop lourd : {size // 1_000_000} Mo, "
                                       f"{settings.MAX_UPLOAD_BYTES // 1_000_000} Mo au maximum."})
    name = getattr(uploaded, "name", "fichier")
    try:
        info = probe_file(uploaded, name, max_bytes=settings.MAX_UPLOAD_BYTES)
    except MediaError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    uploaded.seek(0)
    with transaction.atomic():
        asset = MediaAsset(
            authority=membership.authority, original_name=name[:255], kind=info.kind, mime_type=info.mime_type,
            size_bytes=info.size_bytes, width=info.width, height=info.height, duration_s=info.duration_s,
            alt_text=alt_text or "", has_subtitles=has_subtitles, uploaded_by=membership.user,
        )
        asset.file.save(name, uploaded, save=False)
        asset.save()
        record(membership.authority, membership.user, "media.uploaded", asset,
               after={"name": asset.original_name, "kind": asset.kind, "size": asset.size_bytes})
    return asset
