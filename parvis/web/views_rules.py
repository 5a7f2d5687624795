"""The approval rules page: the authority's default rule and the rules of single channels.

Same rules as views.py: membership_for() first (another authority is a 404), require() before every
write (a 403); parvis.publishing.rules does the writing, the validation and the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from parvis.channels.models import Channel
from parvis.domain.approval import MAX_LEVELS
from parvis.domain.roles import ROLE_LABELS_FR, Permission, Role, can
from parvis.organisations.models import Membership
from parvis.organisations.queries import membership_for, require
from parvis.publishing import rules
from parvis.publishing.models import ApprovalRule

from . import forms
from .views import _page

# Only these roles hold the APPROVE permission; other people are named one by one.
APPROVER_ROLES = [r for r in Role if can(r, Permission.APPROVE)]
MODE_AUTHORITY = "collectivite"
MODE_OWN = "propre"


@dataclass
class LevelForm:
    position: int
    roles: set[str] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


@dataclass
class RuleForm:
    """One rule editor of the page: the default rule (channel None) or one channel's."""

    channel: Channel | None
    own: bool  # channel only: has its own rule (or chose to, in the form sent back)
    count: int
    levels: list[LevelForm]
    summary: str
    action: str
    errors: list[str] = field(default_factory=list)
    saved_own: bool = False  # what is saved: the channel has its own rule

    @property
    def key(self) -> str:
        return f"channel-{self.channel.pk}" if self.channel else "default"

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(level.errors for level in self.levels)


def _levels_of(stored: list[dict]) -> list[LevelForm]:
    levels = [LevelForm(position=n) for n in range(1, MAX_LEVELS + 1)]
    for level, entry in zip(levels, stored or [], strict=False):
        level.roles = set(entry.get("roles", []))
        level.users = {u for u in entry.get("users", []) if isinstance(u, int)}
    return levels


def _summary(stored: list[dict], names: dict[int, str]) -> str:
    """The rule in words: "2 niveaux — 1) … ; 2) …"."""
    if not stored:
        return _("0 niveau — publication sans approbation.")
    parts = []
    for position, entry in enumerate(stored, start=1):
        who = [ROLE_LABELS_FR[Role(r)] for r in entry.get("roles", []) if r in Role.__members__.values()]
        who += [names.get(u, _("personne n° %(id)s (hors équipe)") % {"id": u}) for u in entry.get("users", [])]
        parts.append(f"{position}) " + _(" ou ").join(who))
    count = ngettext("%(n)d niveau", "%(n)d niveaux", len(stored)) % {"n": len(stored)}
    return f"{count} — " + " ; ".join(parts)


def _team(authority) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """(user id, label) choices of the team, and the display name of each member by user id."""
    members = Membership.objects.filter(authority=authority).select_related("user").order_by("user__username")
    choices, names = [], {}
    for mb in members:
        full = mb.user.get_full_name()
        names[mb.user_id] = f"{full} ({mb.user.get_username()})" if full else mb.user.get_username()
        choices.append((mb.user_id, f"{names[mb.user_id]} — {ROLE_LABELS_FR[Role(mb.role)]}"))
    return choices, names


def _rule_forms(authority, names: dict[int, str], override: RuleForm | None = None) -> list[RuleForm]:
    stored = {r.channel_id: r.levels for r in ApprovalRule.objects.filter(authority=authority)}
    default_levels = stored.get(None, [])
    result = [RuleForm(channel=None, own=True, count=len(default_levels), levels=_levels_of(default_levels),
                       summary=_summary(default_levels, names),
                       action=reverse("approval_rules", args=[authority.slug]))]
    for channel in Channel.objects.filter(authority=authority).order_by("network", "handle"):
        own = channel.pk in stored
        # A channel without its own rule starts its editor from the authority's rule.
        levels = stored[channel.pk] if own else default_levels
        result.append(RuleForm(channel=channel, own=own, count=len(levels), levels=_levels_of(levels),
                               summary=_summary(levels, names), saved_own=own,
                               action=reverse("approval_rule_channel", args=[authority.slug, channel.pk])))
    if override is not None:
        for i, f in enumerate(result):
            if f.key == override.key:
                # The summary tells what is saved, while the editor shows what was sent.
                override.summary, override.saved_own = f.summary, f.saved_own
                result[i] = override
    return result


def _render(request, m, override: RuleForm | None = None, status: int = 200):
    choices, names = _team(m.authority)
    rule_forms = _rule_forms(m.authority, names, override)
    # Someone still named in a rule after leaving the team shows up, so that the rule can be corrected.
    named = {u for f in rule_forms for level in f.levels for u in level.users}
    for uid in sorted(named - set(names)):
        choices.append((uid, _("personne n° %(id)s — ne fait plus partie de l'équipe") % {"id": uid}))
    return _page(request, "web/approval_rules.html", m, {
        "rule_forms": rule_forms,
        "role_choices": [(r.value, ROLE_LABELS_FR[r]) for r in APPROVER_ROLES],
        "member_choices": choices,
        "count_choices": list(range(MAX_LEVELS + 1)),
        "can_manage": can(m.role, Permission.MANAGE_RULES),
        "mode_authority": MODE_AUTHORITY,
        "mode_own": MODE_OWN,
    }, status=status)


def _read(post, channel: Channel | None, action: str) -> tuple[RuleForm, list[dict] | None]:
    """The posted editor (to show again on error) and the levels to save (None when unreadable)."""
    form = RuleForm(channel=channel, own=channel is None or post.get("mode") == MODE_OWN, count=0,
                    levels=[LevelForm(position=n) for n in range(1, MAX_LEVELS + 1)], summary="", action=action)
    for level in form.levels:
        level.roles = set(post.getlist(f"level_{level.position}_roles"))
        for raw in post.getlist(f"level_{level.position}_users"):
            try:
                level.users.add(int(raw))
            except ValueError:
                level.errors.append(_("Niveau %(n)d : personne inconnue « %(v)s ».") % {
                    "n": level.position, "v": raw[:40]})
    try:
        form.count = int(post.get("level_count", ""))
    except ValueError:
        form.count = -1
    if not 0 <= form.count <= MAX_LEVELS:
        form.count = 0
        form.errors.append(_("Choisissez le nombre de niveaux de validation : de 0 à %(max)d.") % {"max": MAX_LEVELS})
    if form.has_errors:
        return form, None
    levels = [{"roles": sorted(level.roles), "users": sorted(level.users)} for level in form.levels[:form.count]]
    return form, levels


def _apply_errors(form: RuleForm, exc: ValidationError) -> None:
    by_level = {rules.level_key(level.position): level for level in form.levels}
    for key, msgs in forms.errors_of(exc).items():
        if key in by_level:
            by_level[key].errors.extend(msgs)
        else:
            form.errors.extend(msgs)


def _save(request, m, channel: Channel | None, action: str):
    form, levels = _read(request.POST, channel, action)
    if levels is not None:
        try:
            if channel is not None and not form.own:
                rules.delete_approval_rule(m, channel)
            else:
                rules.set_approval_rule(m, channel=channel, levels=levels)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if channel is None:
                messages.success(request, _("Règle de la collectivité enregistrée."))
            elif form.own:
                messages.success(request, _("Règle du compte %(channel)s enregistrée.") % {"channel": channel})
            else:
                messages.success(request, _("Le compte %(channel)s suit maintenant la règle de la collectivité.")
                                 % {"channel": channel})
            return redirect(f"{reverse('approval_rules', args=[m.authority.slug])}#rule-{form.key}")
    return _render(request, m, override=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def approval_rules(request, slug):
    m = membership_for(request.user, slug)
    require(m, Permission.VIEW)
    if request.method == "GET":
        return _render(request, m)
    require(m, Permission.MANAGE_RULES)
    return _save(request, m, None, reverse("approval_rules", args=[slug]))


@login_required
@require_POST
def approval_rule_channel(request, slug, pk):
    m = membership_for(request.user, slug)
    channel = get_object_or_404(Channel, pk=pk, authority=m.authority)
    require(m, Permission.MANAGE_RULES)
    return _save(request, m, channel, reverse("approval_rule_channel", args=[slug, pk]))
