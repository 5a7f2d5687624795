"""Pages of the core. Thin: read the input, call an action, render. Every page under /a/<slug>/ starts
with membership_for() (another authority is a 404) and every writer with require() (a 403)."""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import URLValidator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from parvis.channels import actions as channel_actions
from parvis.channels.models import Channel
from parvis.domain.roles import Permission, can
from parvis.domain.states import (
    EDITABLE_PUBLICATION_STATUSES,
    PUBLICATION_TRANSITIONS,
    InvalidTransition,
    PublicationStatus,
)
from parvis.organisations.models import CalendarFeed
from parvis.organisations.queries import authorities_of, membership_for, require
from parvis.publishing import actions
from parvis.publishing.models import Delivery, MediaAsset, Publication, Variant

from . import forms
from .ical import build_feed
from .labels import PUBLICATION_STATUS_LABELS
from .previews import draft_cards, saved_cards

P = PublicationStatus
COMPOSE_FIELDS = {"title", "body", "link", "channels", "media", "schedule_mode", "scheduled_at", "file", "upload"}


def _perms(membership) -> dict[str, bool]:
    return {p.value: can(membership.role, p) for p in Permission}


def _page(request, template: str, membership, context: dict | None = None, status: int = 200):
    ctx = {"membership": membership, "authority": membership.authority, "perms_": _perms(membership),
           "nav_authorities": authorities_of(request.user)}
    ctx.update(context or {})
    return render(request, template, ctx, status=status)


def _general_errors(errors: dict[str, list[str]], shown: set[str]) -> list[str]:
    return [m for key, msgs in errors.items() if key not in shown for m in msgs]


# --- Home -----------------------------------------------------------------------------------------


@login_required
def home(request):
    authorities = list(authorities_of(request.user))
    if len(authorities) == 1:
        return redirect("calendar", slug=authorities[0].slug)
    return render(request, "web/home.html", {"authorities": authorities})


@login_required
def authority_home(request, slug):
    membership_for(request.user, slug)
    return redirect("calendar", slug=slug)


# --- Calendar -------------------------------------------------------------------------------------


@dataclass
class CalendarEntry:
    when: datetime  # local
    publication: Publication
    channels: list = field(default_factory=list)
    states: list = field(default_factory=list)  # delivery states, empty for a draft


def _period(view: str, day: date) -> tuple[date, date, date, date]:
    """(first shown day, day after the last, previous anchor, next anchor); weeks start on Monday."""
    if view == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7), start - timedelta(days=7), start + timedelta(days=7)
    first = day.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    last = next_month - timedelta(days=1)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=7 - last.weekday())
    return start, end, prev_month, next_month


def calendar_entries(authority, start: date, end: date, *, channel_id=None, status="") -> dict[date, list]:
    """Entries by local day: deliveries due in the period, and scheduled publications without
    deliveries (drafts, in review). Two queries whatever the number of publications."""
    tz = authority.tz
    start_utc = datetime.combine(start, time(0), tzinfo=tz)
    end_utc = datetime.combine(end, time(0), tzinfo=tz)
    deliveries = (
        Delivery.objects.filter(authority=authority, due_at__gte=start_utc, due_at__lt=end_utc)
        .select_related("publication", "channel").order_by("due_at", "channel__network")
    )
    drafts = (
        Publication.objects.filter(authority=authority, scheduled_at__gte=start_utc, scheduled_at__lt=end_utc,
                                   deliveries__isnull=True)
        .prefetch_related(Prefetch("variants", queryset=Variant.objects.select_related("channel")))
    )
    if channel_id:
        deliveries = deliveries.filter(channel_id=channel_id)
        drafts = drafts.filter(variants__channel_id=channel_id).distinct()
    if status:
        deliveries = deliveries.filter(publication__status=status)
        drafts = drafts.filter(status=status)
    grouped: dict[tuple, CalendarEntry] = {}
    for d in deliveries:
        local = d.due_at.astimezone(tz).replace(second=0, microsecond=0)
        entry = grouped.setdefault((d.publication_id, local), CalendarEntry(local, d.publication))
        entry.channels.append(d.channel)
        entry.states.append(d.state)
    for pub in drafts:
        local = pub.scheduled_at.astimezone(tz).replace(second=0, microsecond=0)
        channels = sorted((v.channel for v in pub.variants.all()), key=lambda c: (c.network, c.handle))
        grouped[(pub.id, local)] = CalendarEntry(local, pub, channels)
    by_day: dict[date, list] = defaultdict(list)
    for entry in sorted(grouped.values(), key=lambda e: (e.when, e.publication.id)):
        by_day[entry.when.date()].append(entry)
    return by_day


@login_required
def calendar(request, slug):
    m = membership_for(request.user, slug)
    tz = m.authority.tz
    today = timezone.now().astimezone(tz).date()
    channels = list(Channel.objects.filter(authority=m.authority).order_by("network", "handle"))
    q = forms.parse_calendar_query(request.GET, today=today, channel_ids={c.id for c in channels})
    start, end, prev_day, next_day = _period(q.view, q.day)
    by_day = calendar_entries(m.authority, start, end, channel_id=q.channel_id, status=q.status)
    ctx = {
        "q": q, "view": q.view, "vue": "semaine" if q.view == "week" else "mois", "day": q.day, "today": today,
        "prev_day": prev_day, "next_day": next_day, "channels": channels,
        "statuses": list(PUBLICATION_STATUS_LABELS.items()), "query_errors": q.errors,
        "entry_count": sum(len(v) for v in by_day.values()),
    }
    if q.view == "week":
        days = [start + timedelta(days=i) for i in range(7)]
        hours_used = [e.when.hour for d in days for e in by_day.get(d, [])]
        first_hour = min([7, *hours_used])
        last_hour = max([20, *hours_used])
        ctx["days"] = days
        ctx["hours"] = [
            (h, [(d, [e for e in by_day.get(d, []) if e.when.hour == h]) for d in days])
            for h in range(first_hour, last_hour + 1)
        ]
        ctx["period_label"] = _("Semaine du %(start)s au %(end)s") % {
            "start": f"{days[0]:%d/%m/%Y}", "end": f"{days[-1]:%d/%m/%Y}"}
    else:
        weeks, d = [], start
        while d < end:
            weeks.append([(d + timedelta(days=i), by_day.get(d + timedelta(days=i), []),
                           (d + timedelta(days=i)).month == q.day.month) for i in range(7)])
            d += timedelta(days=7)
        ctx["weeks"] = weeks
        ctx["period_label"] = f"{month_name(q.day.month)} {q.day.year}"
    return _page(request, "web/calendar.html", m, ctx, status=400 if q.errors else 200)


def month_name(month: int) -> str:
    # Django's month names, in the active language (French: "janvier").
    return str(MONTHS[month]).capitalize()


# --- Composer -------------------------------------------------------------------------------------


def _scoped_publication(membership, pk) -> Publication:
    return get_object_or_404(Publication.objects.select_related("created_by"), pk=pk, authority=membership.authority)


def _read_compose(request, membership) -> tuple[dict, dict[str, list[str]]]:
    """The composer's fields as values for the actions, and parsing errors by field."""
    post = request.POST
    errors: dict[str, list[str]] = {}
    values = {
        "title": (post.get("title") or "").strip(),
        "body": post.get("body") or "",
        "link": (post.get("link") or "").strip(),
        "schedule_mode": post.get("schedule_mode") or Publication.ScheduleMode.AT,
        "scheduled_at_raw": (post.get("scheduled_at") or "").strip(),
        "scheduled_at": None,
        "channel_ids": [],
        "media_ids": [],
        "texts": {},
        "edited": set(),
    }
    for key, name in (("channel_ids", "channels"), ("media_ids", "media")):
        try:
            values[key] = forms.parse_int_list(post.getlist(name), name)
        except ValidationError as exc:
            errors.update(forms.errors_of(exc))
    if values["schedule_mode"] not in Publication.ScheduleMode.values:
        errors["schedule_mode"] = [_("Mode de programmation inconnu : choisissez une date, le prochain créneau "
                                     "libre ou « dès l'approbation ».")]
    elif values["schedule_mode"] == Publication.ScheduleMode.AT and values["scheduled_at_raw"]:
        try:
            values["scheduled_at"] = forms.parse_local_datetime(values["scheduled_at_raw"], membership.authority.tz)
        except ValidationError as exc:
            errors.update(forms.errors_of(exc))
    for cid in values["channel_ids"]:
        text = post.get(f"variant_{cid}")
        if text is not None:
            values["texts"][cid] = text
            if post.get(f"edited_{cid}") == "1":
                values["edited"].add(cid)
    return values, errors


def _compose_context(membership, values: dict, errors: dict, pub: Publication | None):
    authority = membership.authority
    channels = list(Channel.objects.filter(authority=authority).order_by("network", "handle"))
    library = list(MediaAsset.objects.filter(authority=authority)[:200])
    by_id = {a.id: a for a in library}
    missing = [i for i in values["media_ids"] if i not in by_id]
    if missing:
        by_id.update({a.id: a for a in MediaAsset.objects.filter(authority=authority, id__in=missing)})
    media = [by_id[i] for i in values["media_ids"] if i in by_id]
    selected = [c for c in channels if c.id in set(values["channel_ids"])]
    cards = draft_cards(selected, body=values["body"], link=values["link"], media=media, texts=values["texts"],
                        edited=values["edited"])
    groups: dict[str, list] = defaultdict(list)
    for c in channels:
        groups[c.network_label].append(c)
    return {
        "pub": pub, "values": values, "errors": errors, "general_errors": _general_errors(errors, COMPOSE_FIELDS),
        "channel_groups": sorted(groups.items()), "library": library, "cards": cards,
        "selected_channels": set(values["channel_ids"]), "selected_media": set(values["media_ids"]),
        "schedule_modes": Publication.ScheduleMode.choices,
    }


def _values_from_publication(pub: Publication, tz) -> dict:
    variants = list(pub.variants.all())
    return {
        "title": pub.title, "body": pub.body, "link": pub.link, "schedule_mode": pub.schedule_mode,
        "scheduled_at_raw": forms.to_local_input(pub.scheduled_at, tz), "scheduled_at": pub.scheduled_at,
        "channel_ids": [v.channel_id for v in variants],
        "media_ids": list(pub.publicationmedia_set.order_by("position").values_list("asset_id", flat=True)),
        "texts": {v.channel_id: v.text for v in variants},
        "edited": {v.channel_id for v in variants if v.edited},
    }


@login_required
@require_http_methods(["GET", "POST"])
def publication_compose(request, slug, pk=None):
    m = membership_for(request.user, slug)
    pub = _scoped_publication(m, pk) if pk is not None else None
    require(m, Permission.DRAFT)
    if pub is not None and pub.status not in EDITABLE_PUBLICATION_STATUSES:
        messages.error(request, _("Une publication déjà publiée ne se modifie plus."))
        return redirect("publication_detail", slug=slug, pk=pub.pk)
    if request.method == "GET":
        values = (_values_from_publication(pub, m.authority.tz) if pub else
                  {"title": "", "body": "", "link": "", "schedule_mode": Publication.ScheduleMode.AT,
                   "scheduled_at_raw": "", "scheduled_at": None, "channel_ids": [], "media_ids": [], "texts": {},
                   "edited": set()})
        return _page(request, "web/compose.html", m, _compose_context(m, values, {}, pub))
    values, errors = _read_compose(request, m)
    upload = request.FILES.get("upload")
    if upload and not errors:
        try:
            asset = actions.upload_media(m, upload, alt_text=(request.POST.get("upload_alt") or "").strip())
            values["media_ids"].append(asset.id)
        except ValidationError as exc:
            errors.update({("upload" if k == "file" else k): v for k, v in forms.errors_of(exc).items()})
    if not errors:
        kwargs = dict(
            title=values["title"], body=values["body"], link=values["link"], channel_ids=values["channel_ids"],
            media_ids=values["media_ids"], scheduled_at=values["scheduled_at"],
            schedule_mode=values["schedule_mode"],
            variant_texts={cid: t for cid, t in values["texts"].items() if cid in values["edited"]},
        )
        try:
            if pub is None:
                pub = actions.create_publication(m, **kwargs)
                messages.success(request, _("Publication enregistrée en brouillon."))
            else:
                pub = actions.update_publication(m, pub, **kwargs)
                messages.success(request, _("Modifications enregistrées."))
            return redirect("publication_detail", slug=slug, pk=pub.pk)
        except ValidationError as exc:
            errors.update(forms.errors_of(exc))
        except InvalidTransition as exc:
            errors["__all__"] = [str(exc)]
    return _page(request, "web/compose.html", m, _compose_context(m, values, errors, pub), status=400)


@login_required
@require_POST
def publication_preview(request, slug):
    """The variant cards for what is being typed; `only=<channel id>` returns that card's live part."""
    m = membership_for(request.user, slug)
    require(m, Permission.DRAFT)
    values, errors = _read_compose(request, m)
    ctx = _compose_context(m, values, errors, None)
    only = request.POST.get("only")
    if only:
        card = next((c for c in ctx["cards"] if str(c.channel.id) == only), None)
        if card is None:
            return HttpResponse("", status=204)
        return render(request, "web/_card_live.html", {"card": card, "authority": m.authority})
    return render(request, "web/_cards.html", {**ctx, "authority": m.authority})


# --- Publication page -----------------------------------------------------------------------------


def _detail_context(request, m, pub: Publication) -> dict:
    variants = list(pub.variants.select_related("channel").order_by("channel__network", "channel__handle"))
    media = list(pub.media.order_by("publicationmedia__position"))
    cards = saved_cards(pub, variants, media)
    status = P(pub.status)
    perms = _perms(m)
    return {
        "pub": pub, "cards": cards, "media": media,
        "decisions": list(pub.decisions.select_related("user")),
        "deliveries": list(pub.deliveries.select_related("channel").order_by("due_at", "channel__network")),
        "can_edit": perms["draft"] and status in EDITABLE_PUBLICATION_STATUSES,
        "can_submit": perms["submit"] and status == P.DRAFT,
        "can_decide": perms["approve"] and status == P.IN_REVIEW,
        "can_comment": perms["comment"],
        "can_link": perms["submit"] and status == P.IN_REVIEW,
        "can_cancel": perms["schedule"] and P.CANCELLED in PUBLICATION_TRANSITIONS[status],
        "can_schedule": perms["schedule"],
        "media_url_name": "media_file",
    }


def _render_detail(request, m, pub, *, errors=None, status=200, extra=None):
    errors = errors or {}
    ctx = _detail_context(request, m, pub)
    ctx.update({"errors": errors, "general_errors": _general_errors(errors, {"comment", "name", "email"})})
    ctx.update(extra or {})
    return _page(request, "web/publication.html", m, ctx, status=status)


@login_required
def publication_detail(request, slug, pk):
    m = membership_for(request.user, slug)
    return _render_detail(request, m, _scoped_publication(m, pk))


def _run(request, m, pub, fn, success: str):
    """Run a writer; a refusal is shown on the publication page (400), never a 500."""
    try:
        fn()
    except ValidationError as exc:
        return _render_detail(request, m, pub, errors=forms.errors_of(exc), status=400)
    except InvalidTransition as exc:
        return _render_detail(request, m, pub, errors={"__all__": [str(exc)]}, status=400)
    messages.success(request, success)
    return redirect("publication_detail", slug=m.authority.slug, pk=pub.pk)


@login_required
@require_POST
def publication_submit(request, slug, pk):
    m = membership_for(request.user, slug)
    pub = _scoped_publication(m, pk)
    require(m, Permission.SUBMIT)
    return _run(request, m, pub, lambda: actions.submit(m, pub), _("Publication envoyée en validation."))


DECISION_DONE = {"approve": gettext_lazy("Publication approuvée."),
                 "reject": gettext_lazy("Publication refusée : elle revient en brouillon."),
                 "comment": gettext_lazy("Commentaire ajouté.")}


def _decision_errors(decision: str, comment: str) -> dict[str, list[str]]:
    if decision not in DECISION_DONE:
        return {"__all__": [_("Décision inconnue : choisissez Approuver, Refuser ou Commenter.")]}
    if decision == "reject" and not comment:
        return {"comment": [_("Expliquez la raison du refus dans le commentaire : il est obligatoire.")]}
    if decision == "comment" and not comment:
        return {"comment": [_("Écrivez un commentaire.")]}
    return {}


@login_required
@require_POST
def publication_decide(request, slug, pk):
    m = membership_for(request.user, slug)
    pub = _scoped_publication(m, pk)
    decision = request.POST.get("decision", "")
    comment = (request.POST.get("comment") or "").strip()
    require(m, Permission.COMMENT if decision == "comment" else Permission.VIEW)
    errors = _decision_errors(decision, comment)
    if errors:
        return _render_detail(request, m, pub, errors=errors, status=400, extra={"comment_value": comment})
    try:
        actions.decide(m, pub, decision, comment)
    except PermissionDenied as exc:
        return _render_detail(request, m, pub, errors={"__all__": [str(exc) or _("Action non autorisée.")]},
                              status=403)
    except ValidationError as exc:
        return _render_detail(request, m, pub, errors=forms.errors_of(exc), status=400)
    except InvalidTransition as exc:
        return _render_detail(request, m, pub, errors={"__all__": [str(exc)]}, status=400)
    messages.success(request, str(DECISION_DONE[decision]))
    return redirect("publication_detail", slug=slug, pk=pub.pk)


@login_required
@require_POST
def publication_approval_link(request, slug, pk):
    m = membership_for(request.user, slug)
    pub = _scoped_publication(m, pk)
    require(m, Permission.SUBMIT)
    name = (request.POST.get("name") or "").strip()
    email = (request.POST.get("email") or "").strip()
    if not name:
        return _render_detail(request, m, pub, status=400,
                              errors={"name": [_("Indiquez le nom de l'élu·e qui validera.")]})
    try:
        token = actions.approval_link(m, pub, name=name[:200], email=email[:200])
    except ValidationError as exc:
        return _render_detail(request, m, pub, errors=forms.errors_of(exc), status=400)
    url = request.build_absolute_uri(reverse("approval", kwargs={"token": token}))
    return _render_detail(request, m, pub, extra={"approval_url": url, "approval_name": name})


@login_required
@require_POST
def publication_cancel(request, slug, pk):
    m = membership_for(request.user, slug)
    pub = _scoped_publication(m, pk)
    require(m, Permission.SCHEDULE)
    return _run(request, m, pub, lambda: actions.cancel(m, pub), _("Publication annulée."))


def _scoped_delivery(m, pk) -> Delivery:
    return get_object_or_404(Delivery.objects.select_related("publication"), pk=pk, authority=m.authority)


@login_required
@require_POST
def delivery_retry(request, slug, pk):
    m = membership_for(request.user, slug)
    delivery = _scoped_delivery(m, pk)
    require(m, Permission.SCHEDULE)
    return _run(request, m, delivery.publication, lambda: actions.retry_delivery(m, delivery),
                _("Diffusion relancée."))


@login_required
@require_POST
def delivery_resolve(request, slug, pk):
    m = membership_for(request.user, slug)
    delivery = _scoped_delivery(m, pk)
    require(m, Permission.SCHEDULE)
    result = request.POST.get("result")
    url = (request.POST.get("url") or "").strip()
    if result not in {"published", "resend"}:
        return _render_detail(request, m, delivery.publication, status=400,
                              errors={"__all__": [_("Indiquez si la publication est visible sur le réseau.")]})
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            return _render_detail(request, m, delivery.publication, status=400,
                                  errors={"__all__": [_("Adresse de la publication invalide : « %(url)s ».") % {"url": url[:80]}]})
    return _run(request, m, delivery.publication,
                lambda: actions.resolve_unconfirmed(m, delivery, published=result == "published", url=url),
                _("Diffusion vérifiée."))


# --- Signed approval link (no login) --------------------------------------------------------------


def _read_token(token: str):
    try:
        return actions.read_approval_link(token)
    except ValidationError as exc:
        return forms.errors_of(exc).get("token", [_("Ce lien de validation n'est pas valide.")])[0]
    except Publication.DoesNotExist:
        return _("Cette publication n'existe plus.")


def approval_page(request, token):
    result = _read_token(token)
    if isinstance(result, str):
        return render(request, "web/approval_invalid.html", {"message": result}, status=400)
    pub, data = result
    current = pub.status == P.IN_REVIEW and data.get("round") == pub.approval_round \
        and data.get("level") == pub.approval_level
    errors: dict[str, list[str]] = {}
    name = data.get("name", "")
    comment = ""
    status = 200
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        comment = (request.POST.get("comment") or "").strip()
        name = (request.POST.get("name") or "").strip()[:200] or data.get("name", "")
        errors = _decision_errors(decision, comment)
        if not name:
            errors["name"] = [_("Indiquez votre nom.")]
        if not errors:
            try:
                actions.decide(None, pub, decision, comment, signer={**data, "name": name})
                return render(request, "web/approval_done.html",
                              {"pub": pub, "message": str(DECISION_DONE[decision]), "authority": pub.authority})
            except (ValidationError, PermissionDenied, InvalidTransition) as exc:
                errors = forms.errors_of(exc) if isinstance(exc, ValidationError) else {"__all__": [str(exc)]}
        status = 400
    variants = list(pub.variants.select_related("channel").order_by("channel__network", "channel__handle"))
    media = list(pub.media.order_by("publicationmedia__position"))
    return render(request, "web/approval.html", {
        "pub": pub, "authority": pub.authority, "cards": saved_cards(pub, variants, media), "token": token,
        "name": name, "comment_value": comment, "errors": errors, "current": current,
        "general_errors": _general_errors(errors, {"comment", "name"}), "media_url_name": "approval_media",
    }, status=status)


def approval_media(request, token, pk):
    result = _read_token(token)
    if isinstance(result, str):
        return render(request, "web/approval_invalid.html", {"message": result}, status=400)
    pub, _data = result
    asset = get_object_or_404(pub.media.all(), pk=pk)
    return _file_response(asset)


def _file_response(asset: MediaAsset):
    try:
        handle = asset.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("Fichier introuvable") from None
    response = FileResponse(handle, content_type=asset.mime_type or "application/octet-stream")
    response["Content-Disposition"] = "inline"
    return response


# --- Channels, media, audit -----------------------------------------------------------------------


@login_required
def channel_list(request, slug):
    m = membership_for(request.user, slug)
    channels = Channel.objects.filter(authority=m.authority).order_by("network", "handle")
    return _page(request, "web/channels.html", m, {"channels": channels})


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request, slug, pk):
    m = membership_for(request.user, slug)
    channel = get_object_or_404(Channel, pk=pk, authority=m.authority)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        require(m, Permission.MANAGE_CHANNELS)
        try:
            values = forms.parse_editorial_line(request.POST)
            channel_actions.update_editorial_line(m, channel, **values)
            messages.success(request, _("Ligne éditoriale enregistrée."))
            return redirect("channels", slug=slug)
        except ValidationError as exc:
            errors = forms.errors_of(exc)
            status = 400
            channel.refresh_from_db()
    slots = list(channel.slots or []) + [{"weekday": 0, "time": ""}] * 3
    return _page(request, "web/channel_edit.html", m, {
        "channel": channel, "errors": errors, "slots": slots, "weekdays": list(enumerate(forms.weekday_names())),
        "themes_text": "\n".join(channel.themes or []),
        "general_errors": _general_errors(errors, {"audience", "tone", "themes", "slots", "target_posts_per_week"}),
        "can_manage": can(m.role, Permission.MANAGE_CHANNELS),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def media_library(request, slug):
    m = membership_for(request.user, slug)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        require(m, Permission.DRAFT)
        upload = request.FILES.get("file")
        if upload is None:
            errors = {"file": [_("Choisissez un fichier à envoyer.")]}
        else:
            try:
                actions.upload_media(m, upload, alt_text=(request.POST.get("alt_text") or "").strip(),
                                     has_subtitles=request.POST.get("has_subtitles") == "on")
                messages.success(request, _("Média ajouté à la médiathèque."))
                return redirect("media_library", slug=slug)
            except ValidationError as exc:
                errors = forms.errors_of(exc)
        status = 400
    assets = MediaAsset.objects.filter(authority=m.authority).select_related("uploaded_by")
    page = Paginator(assets, 50).get_page(request.GET.get("page"))
    return _page(request, "web/media.html", m, {
        "page": page, "errors": errors, "general_errors": _general_errors(errors, {"file", "alt_text"}),
    }, status=status)


@login_required
def media_file(request, slug, pk):
    m = membership_for(request.user, slug)
    return _file_response(get_object_or_404(MediaAsset, pk=pk, authority=m.authority))


def _short(value) -> str:
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, list | dict) else str(value)
    return text if len(text) <= 160 else text[:157] + "…"


def audit_diff(before, after) -> list[tuple[str, str, str]]:
    """(key, before, after) for the keys whose value changed; a compact view of two snapshots."""
    before = before if isinstance(before, dict) else ({} if before is None else {"valeur": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"valeur": after})
    rows = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b != a:
            rows.append((key, "" if b is None else _short(b), "" if a is None else _short(a)))
    return rows


@login_required
def audit_log(request, slug):
    m = membership_for(request.user, slug)
    require(m, Permission.VIEW_AUDIT)
    from parvis.audit.models import AuditEvent

    events = AuditEvent.objects.filter(authority=m.authority).select_related("actor").order_by("-created_at", "-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    rows = [(e, audit_diff(e.before, e.after)) for e in page.object_list]
    return _page(request, "web/audit.html", m, {"page": page, "rows": rows})


# --- iCal -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ical_settings(request, slug):
    m = membership_for(request.user, slug)
    feed = CalendarFeed.objects.filter(membership=m).first()
    if request.method == "POST":
        token = secrets.token_urlsafe(32)
        if feed is None:
            feed = CalendarFeed.objects.create(membership=m, token=token)
            messages.success(request, _("Adresse d'abonnement créée."))
        else:
            feed.token = token
            feed.save(update_fields=["token"])
            messages.success(request, _("Nouvelle adresse créée : l'ancienne ne fonctionne plus."))
        return redirect("ical_settings", slug=slug)
    url = request.build_absolute_uri(reverse("ical_feed", kwargs={"token": feed.token})) if feed else ""
    return _page(request, "web/ical.html", m, {"feed": feed, "feed_url": url})


def ical_feed(request, token):
    feed = CalendarFeed.objects.select_related("membership__authority").filter(token=token).first()
    if feed is None or not token:
        raise Http404("Flux inconnu")
    authority = feed.membership.authority
    base = request.build_absolute_uri("/").rstrip("/")
    body = build_feed(authority, base_url=base, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="parvis-{authority.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
