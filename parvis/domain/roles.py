"""Who may do what inside an authority. A table, so that the UI, the API and the tests agree."""

from enum import StrEnum


class Role(StrEnum):
    DIRECTOR = "director"
    COMMUNITY_MANAGER = "community_manager"
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW = "view"
    DRAFT = "draft"  # write and edit drafts
    SUBMIT = "submit"  # send for approval
    SCHEDULE = "schedule"  # set the time, cancel, publish without approval levels
    APPROVE = "approve"  # approve or reject, comment
    COMMENT = "comment"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_RULES = "manage_rules"
    VIEW_AUDIT = "view_audit"


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.DIRECTOR: _ALL,
    Role.COMMUNITY_MANAGER: frozenset(
        {
            Permission.VIEW,
            Permission.DRAFT,
            Permission.SUBMIT,
            Permission.SCHEDULE,
            Permission.APPROVE,
            Permission.COMMENT,
            Permission.MANAGE_CHANNELS,
            Permission.VIEW_AUDIT,
        }
    ),
    # A contributor (the summer intern) writes drafts and sends them for approval.
    Role.CONTRIBUTOR: frozenset({Permission.VIEW, Permission.DRAFT, Permission.SUBMIT, Permission.COMMENT}),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.APPROVE, Permission.COMMENT}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}

ROLE_LABELS_FR = {
    Role.DIRECTOR: "Direction de la communication",
    Role.COMMUNITY_MANAGER: "Community manager",
    Role.CONTRIBUTOR: "Contributeur·rice (brouillons)",
    Role.REVIEWER: "Relecteur·rice / élu·e",
    Role.VIEWER: "Lecture seule",
}


PERMISSION_LABELS_FR = {
    Permission.VIEW: "consulter cette collectivité",
    Permission.DRAFT: "écrire ou modifier des publications",
    Permission.SUBMIT: "envoyer des publications en validation",
    Permission.SCHEDULE: "programmer, annuler ou relancer des publications",
    Permission.APPROVE: "approuver ou refuser des publications",
    Permission.COMMENT: "commenter des publications",
    Permission.MANAGE_CHANNELS: "gérer les comptes de réseaux sociaux",
    Permission.MANAGE_MEMBERS: "gérer l'équipe",
    Permission.MANAGE_RULES: "gérer les règles d'approbation",
    Permission.VIEW_AUDIT: "consulter le journal d'audit",
}


def can(role: str | Role | None, permission: Permission) -> bool:
    if role is None:
        return False
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
