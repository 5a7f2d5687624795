"""Writers of approval rules: the authority's default rule and the rules of single channels.

A channel without a rule of its own follows the authority's rule; a channel rule with 0 levels means
"this channel publishes without approval". Which rule a publication follows is decided in
parvis.domain.approval.effective_levels.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from parvis.audit.actions import record
from parvis.channels.models import Channel
from parvis.domain.approval import MAX_LEVELS, ApprovalRuleError, levels_to_json, parse_levels
from parvis.domain.roles import Permission
from parvis.organisations.models import Membership
from parvis.organisations.queries import require

from .models import ApprovalRule

# A level that is always valid: parse_levels numbers its messages by position, so putting stand-ins
# before a level checks that level alone while keeping its number right in the message.
_STAND_IN = {"roles": ["director"], "users": []}


def level_key(position: int) -> str:
    """The error key of level `position` (from 1), as views show errors next to each level."""
    return f"level_{position}"


def _check_channel(membership: Membership, channel: Channel | None) -> None:
    if channel is not None and channel.authority_id != membership.authority_id:
        raise Http404("Compte introuvable")


def _validated(membership: Membership, levels: object) -> list[dict]:
    """The rule as stored, or a ValidationError keyed "levels" (the whole rule) or level_<n> (one level)."""
    try:
        parsed = parse_levels(levels)
    except ApprovalRuleError as exc:
        if not isinstance(levels, list) or len(levels) > MAX_LEVELS:
            raise ValidationError({"levels": str(exc)}) from None
        # One message per faulty level, not only the first one.
        errors: dict[str, list[str]] = {}
        for position, entry in enumerate(levels, start=1):
            try:
                parse_levels([_STAND_IN] * (position - 1) + [entry])
            except ApprovalRuleError as level_exc:
                errors[level_key(position)] = [str(level_exc)]
        raise ValidationError(errors or {"levels": str(exc)}) from None
    named = {uid for level in parsed for uid in level.user_ids}
    members = dict(
        Membership.objects.filter(authority=membership.authority, user_id__in=named).values_list(
            "user_id", "user__username")
    )
    errors = {}
    for position, level in enumerate(parsed, start=1):
        strangers = sorted(level.user_ids - set(members))
        if strangers:
            who = ", ".join(f"n° {uid}" for uid in strangers)
            errors[level_key(position)] = [
                f"Niveau {position} : la personne {who} ne fait pas partie de l'équipe de "
                f"{membership.authority.name} ; seul un membre de l'équipe peut être désigné."
                if len(strangers) == 1 else
                f"Niveau {position} : les personnes {who} ne font pas partie de l'équipe de "
                f"{membership.authority.name} ; seuls des membres de l'équipe peuvent être désignés."
            ]
    if errors:
        raise ValidationError(errors)
    return levels_to_json(parsed)


def _audit_after(rule: ApprovalRule) -> dict:
    return {"channel": rule.channel_id, "levels": rule.levels}


def set_approval_rule(membership: Membership, *, channel: Channel | None = None, levels: object) -> ApprovalRule:
    """Create or replace the default rule (channel None) or the rule of one channel.

    `levels` is what parse_levels accepts: `[{"roles": [...], "users": [user ids]}, ...]`, 0 to 3 levels;
    a named user must be a member of the authority. Raises PermissionDenied without MANAGE_RULES, Http404
    for a channel of another authority, ValidationError with French messages keyed "levels" or
    "level_<n>" (n from 1).
    """
    require(membership, Permission.MANAGE_RULES)
    _check_channel(membership, channel)
    stored = _validated(membership, levels)
    with transaction.atomic():
        rule = (
            ApprovalRule.objects.select_for_update()
            .filter(authority=membership.authority, channel=channel)
            .first()
        )
        if rule is None:
            rule = ApprovalRule.objects.create(authority=membership.authority, channel=channel, levels=stored)
            record(membership.authority, membership.user, "approval_rule.set", rule, before=None,
                   after=_audit_after(rule))
        elif rule.levels != stored:
            before = _audit_after(rule)
            rule.levels = stored
            rule.save(update_fields=["levels"])
            record(membership.authority, membership.user, "approval_rule.set", rule, before=before,
                   after=_audit_after(rule))
    return rule


def delete_approval_rule(membership: Membership, channel: Channel | None = None) -> bool:
    """Remove a rule: the channel follows the authority's rule again (channel None: the authority's
    rule is gone, which means no approval). Returns whether a rule existed."""
    require(membership, Permission.MANAGE_RULES)
    _check_channel(membership, channel)
    with transaction.atomic():
        rule = (
            ApprovalRule.objects.select_for_update()
            .filter(authority=membership.authority, channel=channel)
            .first()
        )
        if rule is None:
            return False
        before = _audit_after(rule)
        rule_id = rule.pk
        rule.delete()
        record(membership.authority, membership.user, "approval_rule.deleted", object_type="approvalrule",
               object_id=str(rule_id), before=before)
    return True
