"""Approval rules: who must approve a publication before it goes out, level after level.

A rule is pure data: 0 to 3 levels, each approved by anyone matching it by role or by user id
(an elected official is usually named by id). Levels are approved in order; a rejection at any level
sends the publication back to draft and the next round starts again from level 1.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from parvis.domain.roles import Permission, Role, can
from parvis.domain.states import PublicationStatus

MAX_LEVELS = 3
_ROLE_VALUES = frozenset(role.value for role in Role)


class ApprovalRuleError(ValueError):
    """Invalid approval rule; the message is French and shown to users."""


@dataclass(frozen=True)
class ApprovalLevel:
    roles: frozenset[str] = frozenset()
    user_ids: frozenset[int] = frozenset()

    def to_json(self) -> dict:
        return {"roles": sorted(self.roles), "users": sorted(self.user_ids)}


def parse_levels(raw: object) -> list[ApprovalLevel]:
    """Validate a rule from JSON: `[{"roles": ["director"], "users": [12]}, ...]` (string or decoded list).

    Refused, with a French message naming the level (numbered from 1): not a list, more than 3 levels,
    a level that is not an object, an unknown key, roles or users not lists, an unknown role, a role that
    cannot approve (the level could never be passed by that role), a user id that is not a positive
    integer, an empty level.
    """
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ApprovalRuleError(f"Règle d'approbation : JSON illisible ({exc}).") from None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApprovalRuleError(
            'Règle d\'approbation : une liste de niveaux est attendue, par exemple [{"roles": ["director"], '
            f'"users": []}}], reçu : {type(raw).__name__}.'
        )
    if len(raw) > MAX_LEVELS:
        raise ApprovalRuleError(
            f"Règle d'approbation : {len(raw)} niveaux, c'est trop (au plus {MAX_LEVELS} niveaux)."
        )
    return [_parse_level(position, entry) for position, entry in enumerate(raw, start=1)]


def _parse_level(position: int, entry: object) -> ApprovalLevel:
    where = f"Niveau {position}"
    if not isinstance(entry, dict):
        raise ApprovalRuleError(
            f'{where} : un objet {{"roles": [...], "users": [...]}} est attendu, reçu : {entry!r}.'
        )
    unknown = sorted(set(entry) - {"roles", "users"})
    if unknown:
        raise ApprovalRuleError(f"{where} : champ inconnu « {unknown[0]} » (champs permis : roles, users).")
    roles_raw = entry.get("roles", [])
    users_raw = entry.get("users", [])
    if not isinstance(roles_raw, list):
        raise ApprovalRuleError(f"{where} : « roles » doit être une liste de rôles, reçu : {roles_raw!r}.")
    if not isinstance(users_raw, list):
        raise ApprovalRuleError(
            f"{where} : « users » doit être une liste d'identifiants, reçu : {users_raw!r}."
        )
    roles: set[str] = set()
    for value in roles_raw:
        if not isinstance(value, str) or value not in _ROLE_VALUES:
            raise ApprovalRuleError(
                f"{where} : rôle inconnu « {value} » (rôles permis : {', '.join(r.value for r in Role)})."
            )
        if not can(value, Permission.APPROVE):
            raise ApprovalRuleError(
                f"{where} : le rôle « {value} » ne peut pas approuver ; ce niveau ne pourrait jamais être validé "
                "par ce rôle. Désignez plutôt la personne par son identifiant."
            )
        roles.add(value)
    users: set[int] = set()
    for value in users_raw:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ApprovalRuleError(
                f"{where} : identifiant d'utilisateur invalide {value!r} (un entier positif est attendu)."
            )
        users.add(value)
    if not roles and not users:
        raise ApprovalRuleError(f"{where} : niveau vide, indiquez au moins un rôle ou une personne.")
    return ApprovalLevel(frozenset(roles), frozenset(users))


def levels_to_json(levels: Iterable[ApprovalLevel]) -> list[dict]:
    return [level.to_json() for level in levels]


def effective_levels(
    authority_levels: Sequence[ApprovalLevel],
    channel_levels_list: Iterable[tuple[int, Sequence[ApprovalLevel] | None]],
) -> list[ApprovalLevel]:
    """The rule that applies to a publication going to several channels.

    `channel_levels_list` holds one (channel_id, levels) pair per target channel; levels is None when
    the channel has no rule of its own (the authority's rule applies), and an empty list when the
    channel's own rule is "no approval".

    Choice: the strictest rule wins, measured by its number of levels. Rules are not merged: a union
    of approvers per level would let a channel's lax approver pass another channel's level, and an
    intersection could leave a level nobody can approve. On a tie the rule of the channel with the
    smallest id wins, so that the result does not depend on the order of the input. Without channels,
    the authority's rule applies.
    """
    rules = [
        list(authority_levels if levels is None else levels)
        for _, levels in sorted(channel_levels_list, key=lambda pair: pair[0])
    ]
    if not rules:
        return list(authority_levels)
    # max() keeps the first of equal candidates: the smallest channel id.
    return max(rules, key=len)


class Decision(NamedTuple):
    allowed: bool
    reason_fr: str


OWN_WORK_FR = "Vous ne pouvez pas approuver votre propre publication."


def can_approve(
    levels: Sequence[ApprovalLevel],
    level_index: int,
    *,
    user_id: int | None,
    role: str | Role | None,
    author_id: int | None,
    previous_approver_ids: Collection[int] = (),
) -> Decision:
    """May this user approve (or reject) level `level_index` (0-based) of this publication?

    - nobody approves their own work, whatever their role or designation;
    - an approver named by user id (an elected official) may approve whatever their role, even with none;
    - otherwise the user's role must be listed in the level AND have the APPROVE permission;
    - `previous_approver_ids` (who approved the earlier levels of this round): one person passes one
      level only, otherwise a second level would add no second pair of eyes.
    """
    if not 0 <= level_index < len(levels):
        if not levels:
            return Decision(False, "Aucune approbation n'est requise pour cette publication.")
        return Decision(
            False, f"Le niveau d'approbation {level_index + 1} n'existe pas (il y en a {len(levels)})."
        )
    level = levels[level_index]
    position = level_index + 1
    if user_id is None:
        return Decision(False, "Vous devez être connecté·e pour approuver.")
    if author_id is not None and user_id == author_id:
        return Decision(False, OWN_WORK_FR)
    if user_id in previous_approver_ids:
        return Decision(
            False, "Vous avez déjà approuvé un niveau précédent : une autre personne doit approuver celui-ci."
        )
    if user_id in level.user_ids:
        return Decision(True, f"Vous êtes désigné·e nommément pour le niveau {position}.")
    role_value = role.value if isinstance(role, Role) else role
    if role_value is not None and role_value in level.roles:
        if can(role_value, Permission.APPROVE):
            return Decision(True, f"Votre rôle vous permet d'approuver le niveau {position}.")
        return Decision(False, "Votre rôle ne permet pas d'approuver des publications.")
    return Decision(False, f"Vous ne faites pas partie des approbateurs du niveau {position}.")


class Outcome(StrEnum):
    APPROVED = "approved"  # every level approved
    PENDING = "pending"  # more levels to go
    REJECTED = "rejected"  # back to draft; approved levels are reset


def next_state_after_decision(levels_count: int, approved_levels: int, decision: str) -> tuple[int, Outcome]:
    """Levels approved and outcome after a decision on the next level.

    `decision` is "approve", "reject" or "comment" (a comment changes nothing). Deciding on a
    publication that has no level left to approve is a programming error (ValueError).
    """
    if not 0 <= levels_count <= MAX_LEVELS:
        raise ValueError(f"levels_count must be between 0 and {MAX_LEVELS}, got {levels_count}")
    if not 0 <= approved_levels < levels_count:
        raise ValueError(f"no level left to decide: {approved_levels} of {levels_count} approved")
    if decision == "approve":
        approved = approved_levels + 1
        return approved, Outcome.APPROVED if approved == levels_count else Outcome.PENDING
    if decision == "reject":
        return 0, Outcome.REJECTED
    if decision == "comment":
        return approved_levels, Outcome.PENDING
    raise ValueError(f"unknown decision {decision!r}")


# Changing these never touches what the public sees: no new approval needed.
# Every other field (text, variants, media and their alt text, link, channels, time, schedule mode, and
# any field added later) does: an unknown field fails safe.
NEUTRAL_FIELDS = frozenset({"title"})

# Statuses in which no approval has been given, so there is nothing to lose by editing.
_NOT_APPROVED = frozenset({PublicationStatus.DRAFT, PublicationStatus.CANCELLED})


def requires_reapproval(status: str, changed_fields: Iterable[str], *, approved_levels: int = 0) -> bool:
    """Does this edit send the publication back for approval?

    Yes when some approval is in force — status approved (or partial/failed, which were approved before
    their deliveries ran), or in review with `approved_levels` > 0 — and a field other than the internal
    title changed. Whether the publication may be edited at all is `states.EDITABLE_PUBLICATION_STATUSES`.
    """
    status = PublicationStatus(status)
    if status in _NOT_APPROVED:
        return False
    if status == PublicationStatus.IN_REVIEW and approved_levels <= 0:
        return False
    return any(field not in NEUTRAL_FIELDS for field in changed_fields)
