"""Pages that set an authority up: create it from the reference data (instance staff), its team, its
accounts. Same rules as views.py: membership_for() first (another authority is a 404), require() before
every write (a 403), the actions do the writing and the audit."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.decorators import login_required
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.channels import actions as channel_actions
from parvis.channels.models import Channel
from parvis.domain.networks import NETWORK_LABELS, Network
from parvis.domain.roles import ROLE_LABELS_FR, Permission, Role, can
from parvis.organisations import actions as org_actions
from parvis.organisations import reference
from parvis.organisations.models import Authority, Membership
from parvis.organisations.queries import membership_for, require

from . import forms
from .views import _general_errors, _page

SEARCH_LIMIT = 20

KIND_LABELS = {
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département",
    "region": "Région",
}
EPCI_NATURE_LABELS = {
    "CC": "Communauté de communes",
    "CA": "Communauté d'agglomération",
    "CU": "Communauté urbaine",
    "METRO": "Métropole",
    "MET69": "Métropole de Lyon",
}


def population_fr(population: int | None) -> str:
    """41555 -> "41 555 hab." (French digit grouping); unknown -> "population inconnue"."""
    if population is None:
        return _("population inconnue")
    return f"{population:,}".replace(",", " ") + " " + _("hab.")


@dataclass
class RefRow:
    """One search result as the page shows it."""

    kind: str
    code: str
    name: str
    kind_label: str
    departement: str
    population: str
    timezone: str
    existing: Authority | None


def _kind_label(entry: reference.RefEntry) -> str:
    if entry.kind == "epci" and entry.nature in EPCI_NATURE_LABELS:
        return EPCI_NATURE_LABELS[entry.nature]
    return KIND_LABELS.get(entry.kind, entry.kind)


def _departement_label(entry: reference.RefEntry) -> str:
    if not entry.departement:
        return "—"
    dept = reference.get("departement", entry.departement)
    return f"{dept.name} ({entry.departement})" if dept else entry.departement


def _existing(kind: str, code: str) -> Authority | None:
    """The authority already created from this reference entry, if any."""
    match = Q(siren=code) if kind == "epci" else Q(insee_code=code)
    return Authority.objects.filter(match, kind=kind).first()


def _rows(query: str) -> list[RefRow]:
    entries = reference.search(query, limit=SEARCH_LIMIT)
    if not entries:
        return []
    # One query for the "already in Parvis" marks of the whole page.
    codes = {e.code for e in entries}
    found = Authority.objects.filter(Q(insee_code__in=codes) | Q(siren__in=codes))
    by_key = {}
    for a in found:
        by_key[(a.kind, a.siren if a.kind == "epci" else a.insee_code)] = a
    return [
        RefRow(kind=e.kind, code=e.code, name=e.name, kind_label=_kind_label(e),
               departement=_departement_label(e), population=population_fr(e.population), timezone=e.timezone,
               existing=by_key.get((e.kind, e.code)))
        for e in entries
    ]


def _require_staff(user) -> None:
    if not getattr(user, "is_staff", False):
        raise PermissionDenied(_("Seul·e un·e administrateur·rice de l'instance peut créer une collectivité."))


# --- New authority (instance staff) ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def authority_new(request):
    _require_staff(request.user)
    query = (request.GET.get("q") or request.POST.get("q") or "").strip()[:reference.MAX_QUERY_CHARS]
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        kind = (request.POST.get("kind") or "").strip()
        code = (request.POST.get("code") or "").strip()
        entry = reference.get(kind, code) if kind in reference.KINDS and code else None
        existing = _existing(kind, code) if entry else None
        if entry is None:
            errors.append(_("Choisissez une collectivité dans la liste des résultats de recherche."))
        elif existing is not None:
            errors.append(_("« %(name)s » existe déjà dans Parvis (adresse /a/%(slug)s/). Demandez à sa direction "
                            "de la communication de vous ajouter à l'équipe.") % {"name": existing.name,
                                                                                 "slug": existing.slug})
        else:
            try:
                authority = org_actions.create_authority_from_reference(request.user, kind, code)
            except ValidationError as exc:
                errors.extend(m for msgs in forms.errors_of(exc).values() for m in msgs)
            except IntegrityError:  # created at the same moment by someone else
                errors.append(_("« %(name)s » existe déjà dans Parvis.") % {"name": entry.name})
            else:
                messages.success(request, _("%(name)s a été créée ; vous êtes à la direction de la communication. "
                                            "Ajoutez maintenant l'équipe et les comptes.") % {"name": authority.name})
                return redirect("calendar", slug=authority.slug)
        status = 400
    return render(request, "web/authority_new.html", {
        "query": query, "rows": _rows(query) if query else [], "errors": errors, "credit": reference.credit(),
    }, status=status)


@login_required
@require_GET
def authority_search(request):
    """The results partial, fetched as the staff member types (htmx)."""
    _require_staff(request.user)
    query = (request.GET.get("q") or "").strip()[:reference.MAX_QUERY_CHARS]
    return render(request, "web/_ref_results.html", {"query": query, "rows": _rows(query) if query else []})


# --- Team -----------------------------------------------------------------------------------------


def _role_choices():
    return [(r.value, ROLE_LABELS_FR[r]) for r in Role]


def _team_page(request, m, *, errors=None, values=None, member_errors=None, status=200):
    members = list(
        Membership.objects.filter(authority=m.authority).select_related("user").order_by("user__username")
    )
    errors = errors or {}
    return _page(request, "web/team.html", m, {
        "members": members, "roles": _role_choices(), "errors": errors, "values": values or {},
        "member_errors": member_errors or {},
        "general_errors": _general_errors(errors, {"username", "email", "role", "password"}),
        "can_manage": can(m.role, Permission.MANAGE_MEMBERS),
        "directors": sum(1 for x in members if x.role == Role.DIRECTOR),
    }, status=status)


def _read_new_member(post) -> tuple[dict, dict[str, list[str]]]:
    values = {
        "username": (post.get("username") or "").strip(),
        "email": (post.get("email") or "").strip(),
        "role": (post.get("role") or "").strip(),
        "password": post.get("password") or "",
    }
    errors: dict[str, list[str]] = {}
    if not values["username"]:
        errors["username"] = [_("Indiquez l'identifiant de connexion de la personne.")]
    elif len(values["username"]) > 150:
        errors["username"] = [_("Identifiant trop long : 150 caractères au plus.")]
    else:
        try:
            UnicodeUsernameValidator()(values["username"])
        except ValidationError:
            errors["username"] = [_("Identifiant invalide : lettres, chiffres et @ . + - _ seulement, sans espace.")]
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = [_("Adresse de courriel invalide : « %(v)s ».") % {"v": values["email"][:80]}]
    if values["role"] not in Role.__members__.values():
        errors["role"] = [_("Choisissez un rôle dans la liste.")]
    if values["password"] and "username" not in errors:
        try:
            probe = get_user_model()(username=values["username"], email=values["email"])
            password_validation.validate_password(values["password"], probe)
        except ValidationError as exc:
            errors["password"] = [_("Mot de passe refusé :")] + list(exc.messages)
    return values, errors


@login_required
@require_http_methods(["GET", "POST"])
def team(request, slug):
    m = membership_for(request.user, slug)
    require(m, Permission.VIEW)
    if request.method == "GET":
        return _team_page(request, m)
    require(m, Permission.MANAGE_MEMBERS)
    values, errors = _read_new_member(request.POST)
    if not errors:
        existed = get_user_model().objects.filter(username=values["username"]).exists()
        try:
            member = org_actions.add_member(m, username=values["username"], email=values["email"],
                                            role=values["role"], password=values["password"] or None)
        except ValidationError as exc:
            errors = forms.errors_of(exc)
        else:
            name = member.user.get_username()
            if existed:
                messages.success(request, _("%(name)s fait maintenant partie de l'équipe. Son compte existait "
                                            "déjà : son mot de passe n'a pas changé.") % {"name": name})
            elif values["password"]:
                messages.success(request, _("%(name)s fait maintenant partie de l'équipe. Transmettez-lui son "
                                            "mot de passe initial par un autre canal que le courriel.")
                                 % {"name": name})
            else:
                messages.success(request, _("%(name)s fait maintenant partie de l'équipe, sans mot de passe : "
                                            "la personne ne pourra se connecter qu'une fois un mot de passe "
                                            "défini par l'administration de l'instance.") % {"name": name})
            return redirect("team", slug=slug)
    values["password"] = ""  # never sent back to the browser
    return _team_page(request, m, errors=errors, values=values, status=400)


def _scoped_member(m, pk) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, authority=m.authority)


@login_required
@require_POST
def team_role(request, slug, pk):
    m = membership_for(request.user, slug)
    member = _scoped_member(m, pk)
    require(m, Permission.MANAGE_MEMBERS)
    role = (request.POST.get("role") or "").strip()
    try:
        if role not in Role.__members__.values():
            raise ValidationError({"role": _("Choisissez un rôle dans la liste.")})
        member = org_actions.change_role(m, member, role)
    except ValidationError as exc:
        msgs = [msg for msgs in forms.errors_of(exc).values() for msg in msgs]
        return _team_page(request, m, member_errors={member.pk: msgs}, status=400)
    messages.success(request, _("%(name)s : rôle « %(role)s ».") % {
        "name": member.user.get_username(), "role": ROLE_LABELS_FR[Role(member.role)]})
    if member.pk == m.pk and not can(role, Permission.MANAGE_MEMBERS):
        return redirect("calendar", slug=slug)
    return redirect("team", slug=slug)


@login_required
@require_POST
def team_remove(request, slug, pk):
    m = membership_for(request.user, slug)
    member = _scoped_member(m, pk)
    require(m, Permission.MANAGE_MEMBERS)
    name = member.user.get_username()
    try:
        org_actions.remove_member(m, member)
    except ValidationError as exc:
        msgs = [msg for msgs in forms.errors_of(exc).values() for msg in msgs]
        return _team_page(request, m, member_errors={member.pk: msgs}, status=400)
    messages.success(request, _("%(name)s ne fait plus partie de l'équipe.") % {"name": name})
    if member.pk == m.pk:
        return redirect("home")
    return redirect("team", slug=slug)


# --- New channel ----------------------------------------------------------------------------------

CHANNEL_FIELDS = {"network", "handle", "display_name", "account_kind", "is_sandbox"}


def _channel_form(request, m, values, errors, status=200):
    return _page(request, "web/channel_new.html", m, {
        "values": values, "errors": errors, "general_errors": _general_errors(errors, CHANNEL_FIELDS),
        "networks": [(n.value, NETWORK_LABELS[n]) for n in Network],
        "account_kinds": Channel.AccountKind.choices,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def channel_new(request, slug):
    m = membership_for(request.user, slug)
    require(m, Permission.MANAGE_CHANNELS)
    if request.method == "GET":
        return _channel_form(request, m, {"network": "", "handle": "", "display_name": "",
                                          "account_kind": Channel.AccountKind.INSTITUTIONAL, "is_sandbox": True}, {})
    post = request.POST
    values = {
        "network": (post.get("network") or "").strip(),
        "handle": (post.get("handle") or "").strip(),
        "display_name": (post.get("display_name") or "").strip(),
        "account_kind": (post.get("account_kind") or "").strip(),
        "is_sandbox": post.get("is_sandbox") == "on",
    }
    errors: dict[str, list[str]] = {}
    if values["network"] not in Network.__members__.values():
        errors["network"] = [_("Choisissez le réseau du compte.")]
    if not values["handle"]:
        errors["handle"] = [_("Indiquez l'identifiant du compte (par exemple @ville ou ville.fr).")]
    elif len(values["handle"]) > 200:
        errors["handle"] = [_("Identifiant trop long : 200 caractères au plus.")]
    if len(values["display_name"]) > 200:
        errors["display_name"] = [_("Nom affiché trop long : 200 caractères au plus.")]
    if values["account_kind"] not in Channel.AccountKind.values:
        errors["account_kind"] = [_("Indiquez s'il s'agit d'un compte institutionnel ou du compte personnel "
                                    "d'un·e élu·e.")]
    if not errors:
        try:
            channel = channel_actions.create_channel(
                m, network=values["network"], handle=values["handle"], is_sandbox=values["is_sandbox"],
                display_name=values["display_name"], account_kind=values["account_kind"],
            )
        except ValidationError as exc:
            errors = forms.errors_of(exc)
        else:
            if channel.is_sandbox:
                messages.success(request, _("Compte simulé ajouté. Définissez maintenant sa ligne éditoriale et "
                                            "ses créneaux."))
            else:
                messages.warning(request, _("Compte ajouté. La connexion réelle à ce réseau n'est pas encore "
                                            "disponible : ses publications échoueront avec un message "
                                            "d'explication tant que le connecteur n'existe pas."))
            return redirect("channel_edit", slug=slug, pk=channel.pk)
    return _channel_form(request, m, values, errors, status=400)
