import pytest

from parvis.domain.roles import Permission, Role, can


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.DIRECTOR, Permission.MANAGE_MEMBERS, True),
        (Role.COMMUNITY_MANAGER, Permission.SCHEDULE, True),
        (Role.COMMUNITY_MANAGER, Permission.MANAGE_MEMBERS, False),
        (Role.CONTRIBUTOR, Permission.DRAFT, True),
        (Role.CONTRIBUTOR, Permission.SCHEDULE, False),
        (Role.CONTRIBUTOR, Permission.APPROVE, False),
        (Role.REVIEWER, Permission.APPROVE, True),
        (Role.REVIEWER, Permission.DRAFT, False),
        (Role.VIEWER, Permission.VIEW, True),
        (Role.VIEWER, Permission.COMMENT, False),
        (None, Permission.VIEW, False),
        ("intruder", Permission.VIEW, False),
    ],
)
def test_role_permissions(role, permission, allowed):
    assert can(role, permission) is allowed
