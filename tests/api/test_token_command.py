import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from parvis.domain.roles import Role
from parvis.organisations.models import ApiToken

from .conftest import BASE


def test_create_prints_the_token_once_and_it_works(members):
    user = members[Role.VIEWER].user
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "--user", user.username, "--name", "export", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert token.startswith("pv_")
    record = ApiToken.objects.get(user=user)
    assert record.name == "export" and record.digest == ApiToken.hash(token) and token not in err.getvalue()
    response = Client(headers={"Authorization": f"Bearer {token}"}).get(f"{BASE}/authorities")
    assert [a["slug"] for a in response.json()] == [members[Role.VIEWER].authority.slug]


def test_list_never_shows_the_token_and_revoke_cuts_access(members):
    user = members[Role.VIEWER].user
    record, token = ApiToken.issue(user, "export")
    out = io.StringIO()
    call_command("token", "list", stdout=out)
    assert "export" in out.getvalue() and token not in out.getvalue()
    call_command("token", "revoke", "--id", str(record.pk), stdout=io.StringIO())
    assert Client(headers={"Authorization": f"Bearer {token}"}).get(f"{BASE}/authorities").status_code == 401


def test_unknown_user_or_token_is_an_error(db):
    with pytest.raises(CommandError, match="Utilisateur inconnu"):
        call_command("token", "create", "--user", "personne", "--name", "x")
    with pytest.raises(CommandError, match="Aucun jeton"):
        call_command("token", "revoke", "--id", "999")
