"""The approval rules page: who approves, per authority and per channel; the writers behind it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from parvis.audit.models import AuditEvent
from parvis.domain.roles import Permission, Role, can
from parvis.publishing import actions, rules
from parvis.publishing.models import ApprovalRule
from tests.factories import UserFactory
from tests.web.helpers import page

pytestmark = pytest.mark.django_db

URL = "/a/arras/validation/regles/"
STRICTEST = ("Une publication destinée à plusieurs comptes suit la règle la plus stricte (celle qui a le plus de "
             "niveaux), et personne n'approuve sa propre publication.")


def channel_url(channel):
    return f"{URL}compte/{channel.pk}/"


def form(count, *levels, mode=None):
    """The POST body of a rule editor: levels as (roles, user ids) pairs."""
    data = {"level_count": str(count)}
    if mode:
        data["mode"] = mode
    for n, (roles, users) in enumerate(levels, start=1):
        data[f"level_{n}_roles"] = list(roles)
        data[f"level_{n}_users"] = [str(u) for u in users]
    return data


@pytest.fixture
def director(client, members):
    client.force_login(members[Role.DIRECTOR].user)
    return client


def rule_of(authority, channel=None):
    return ApprovalRule.objects.filter(authority=authority, channel=channel).values_list("levels", flat=True).first()


# --- Reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_member_sees_the_rules_and_only_managers_get_the_editor(client, members, channels, role):
    client.force_login(members[role].user)
    html = page(client.get(URL))
    assert "<h1>Règles de validation</h1>" in html
    assert STRICTEST in html
    editable = can(role, Permission.MANAGE_RULES)
    assert ('id="rule-default-save"' in html) is editable
    assert (f'action="{channel_url(channels[0])}"' in html) is editable
    # The navigation link is there for those who can change the rules.
    assert (f'href="{URL}"' in html) is editable


def test_page_shows_default_rule_and_each_channel_with_its_own_or_the_authoritys(director, members, channels):
    elected = members[Role.VIEWER]
    ApprovalRule.objects.create(authority=channels[0].authority, channel=None,
                                levels=[{"roles": ["director"], "users": []}])
    ApprovalRule.objects.create(authority=channels[0].authority, channel=channels[1],
                                levels=[{"roles": ["community_manager"], "users": []},
                                        {"roles": [], "users": [elected.user_id]}])
    html = page(director.get(URL))
    default = html[html.index('id="rule-default"'):html.index(f'id="rule-channel-{channels[0].pk}"')]
    assert "1 niveau — 1) Direction de la communication" in default
    own = html[html.index(f'id="rule-channel-{channels[1].pk}"'):]
    own = own[:own.index("</section>")]
    assert "Règle propre à ce compte : 2 niveaux — 1) Community manager ; 2) arras-viewer" in own
    inherited = html[html.index(f'id="rule-channel-{channels[0].pk}"'):]
    inherited = inherited[:inherited.index("</section>")]
    assert "Suit la règle de la collectivité : 1 niveau — 1) Direction de la communication" in inherited
    # Only roles that may approve are offered; every member may be named, the elected official included.
    assert 'name="level_1_roles" value="reviewer"' in html
    assert 'name="level_1_roles" value="contributor"' not in html
    assert 'name="level_1_roles" value="viewer"' not in html
    assert f'name="level_1_users" value="{elected.user_id}"' in html
    assert "arras-viewer — Lecture seule" in html
    # The saved levels are checked in the editor.
    assert f'name="level_2_users" value="{elected.user_id}" checked' in own


def test_without_any_rule_the_page_says_there_is_no_approval(director, channels):
    html = page(director.get(URL))
    assert "0 niveau — publication sans approbation." in html
    assert 'name="level_count" value="0" checked' in html


# --- Writing the authority's rule -----------------------------------------------------------------


def test_director_saves_a_two_level_default_rule_with_a_named_elected_official(director, members, authority):
    elected = members[Role.VIEWER]
    r = director.post(URL, form(2, (["community_manager", "director"], []), ([], [elected.user_id])))
    assert r.status_code == 302 and r["Location"] == f"{URL}#rule-default"
    assert rule_of(authority) == [{"roles": ["community_manager", "director"], "users": []},
                                  {"roles": [], "users": [elected.user_id]}]
    event = AuditEvent.objects.get(verb="approval_rule.set")
    assert event.actor == members[Role.DIRECTOR].user and event.before is None
    assert event.after["levels"] == rule_of(authority)
    html = page(director.get(URL))
    assert "Règle de la collectivité enregistrée." in html


def test_levels_beyond_the_chosen_count_are_not_saved(director, authority):
    r = director.post(URL, form(1, (["director"], []), (["reviewer"], []), (["community_manager"], [])))
    assert r.status_code == 302
    assert rule_of(authority) == [{"roles": ["director"], "users": []}]


def test_zero_levels_means_publication_without_approval(director, members, authority, channels):
    director.post(URL, form(1, (["director"], [])))
    assert director.post(URL, form(0)).status_code == 302
    assert rule_of(authority) == []
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(cm, title="Marché", body="Marché de Noël samedi.", channel_ids=[channels[0].id],
                                     scheduled_at=timezone.now() + timedelta(days=1))
    assert actions.submit(cm, pub).status == "approved"


@pytest.mark.parametrize("levels, count, errors", [
    # Each faulty level gets its own message, named by its number; the good ones get none.
    ([(["director"], []), ([], [])], 2, {2: "Niveau 2 : niveau vide"}),
    ([([], []), (["reviewer"], []), ([], [])], 3, {1: "Niveau 1 : niveau vide", 3: "Niveau 3 : niveau vide"}),
    ([(["contributor"], [])], 1, {1: "Niveau 1 : le rôle « contributor » ne peut pas approuver"}),
    ([(["viewer"], [])], 1, {1: "Niveau 1 : le rôle « viewer » ne peut pas approuver"}),
    ([(["chef"], [])], 1, {1: "Niveau 1 : rôle inconnu « chef »"}),
    ([(["director"], []), (["director"], ["abc"])], 2, {2: "Niveau 2 : personne inconnue « abc »"}),
])
def test_invalid_levels_are_refused_with_the_level_named(director, authority, levels, count, errors):
    director.post(URL, form(1, (["director"], [])))
    r = director.post(URL, form(count, *levels))
    assert r.status_code == 400
    html = page(r)
    for position in range(1, 4):
        fieldset = html.split(f'id="rule-default-level-{position}"')[1].split("</fieldset>")[0]
        if position in errors:
            assert errors[position] in fieldset
            assert 'class="field-error"' in fieldset
        else:
            assert 'class="field-error"' not in fieldset
    assert rule_of(authority) == [{"roles": ["director"], "users": []}]  # unchanged
    # What was sent stays checked, so the director corrects rather than starts again.
    assert f'name="level_count" value="{count}" checked' in html


def test_a_named_person_outside_the_team_is_refused(director, authority, other):
    stranger = other["members"][Role.VIEWER]
    loner = UserFactory(username="sans-equipe")
    r = director.post(URL, form(2, (["director"], [stranger.user_id]), ([], [loner.pk])))
    assert r.status_code == 400
    html = page(r)
    assert f"Niveau 1 : la personne n° {stranger.user_id} ne fait pas partie de l'équipe de Arras" in html
    assert f"Niveau 2 : la personne n° {loner.pk} ne fait pas partie de l'équipe de Arras" in html
    assert rule_of(authority) is None


@pytest.mark.parametrize("count", ["4", "-1", "", "deux"])
def test_level_count_out_of_range_is_refused(director, authority, count):
    r = director.post(URL, {**form(1, (["director"], [])), "level_count": count})
    assert r.status_code == 400
    assert "Choisissez le nombre de niveaux de validation : de 0 à 3." in page(r)
    assert rule_of(authority) is None


def test_a_member_who_left_still_shows_in_the_rule_to_be_corrected(director, members, authority):
    gone = members[Role.REVIEWER]
    director.post(URL, form(1, ([], [gone.user_id])))
    gone.delete()
    html = page(director.get(URL))
    assert f"personne n° {gone.user_id} — ne fait plus partie de l'équipe" in html
    assert f"1) personne n° {gone.user_id} (hors équipe)" in html


# --- Channel rules --------------------------------------------------------------------------------


def test_channel_gets_its_own_rule_then_goes_back_to_the_authoritys(director, members, authority, channels):
    director.post(URL, form(1, (["director"], [])))
    target = channels[1]
    r = director.post(channel_url(target), form(2, (["reviewer"], []), (["director"], []), mode="propre"))
    assert r.status_code == 302 and r["Location"] == f"{URL}#rule-channel-{target.pk}"
    assert rule_of(authority, target) == [{"roles": ["reviewer"], "users": []},
                                          {"roles": ["director"], "users": []}]
    # A publication to that channel and another follows the strictest rule: two levels.
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(cm, title="Travaux", body="Rue barrée lundi.",
                                     channel_ids=[channels[0].id, target.id],
                                     scheduled_at=timezone.now() + timedelta(days=1))
    assert len(actions.approval_levels(pub)) == 2

    r = director.post(channel_url(target), form(2, (["reviewer"], []), (["director"], []), mode="collectivite"))
    assert r.status_code == 302
    assert not ApprovalRule.objects.filter(channel=target).exists()
    assert rule_of(authority) == [{"roles": ["director"], "users": []}]  # the default rule is untouched
    assert AuditEvent.objects.filter(verb="approval_rule.deleted", before__channel=target.pk).count() == 1
    assert "suit maintenant la règle de la collectivité" in page(director.get(URL))


def test_channel_rule_with_zero_levels_publishes_that_channel_without_approval(director, members, authority,
                                                                               channels):
    director.post(URL, form(1, (["director"], [])))
    director.post(channel_url(channels[2]), form(0, mode="propre"))
    assert rule_of(authority, channels[2]) == []
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(cm, title="Info", body="Mairie fermée lundi.", channel_ids=[channels[2].id],
                                     scheduled_at=timezone.now() + timedelta(days=1))
    assert actions.submit(cm, pub).status == "approved"


def test_channel_rule_errors_stay_in_that_channels_editor(director, authority, channels):
    r = director.post(channel_url(channels[0]), form(1, ([], []), mode="propre"))
    assert r.status_code == 400
    html = page(r)
    own = html.split(f'id="rule-channel-{channels[0].pk}"')[1].split("</section>")[0]
    assert "Niveau 1 : niveau vide" in own
    assert 'name="mode" value="propre" checked' in own
    assert "<details open>" in own  # the faulty editor is unfolded
    assert "Niveau 1 : niveau vide" not in html.split('id="rule-default"')[1].split("</section>")[0]
    assert not ApprovalRule.objects.exists()


# --- Permissions and scope ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role if not can(r, Permission.MANAGE_RULES)])
def test_writes_without_manage_rules_are_403(client, members, authority, channels, role):
    client.force_login(members[role].user)
    assert client.post(URL, form(0)).status_code == 403
    assert client.post(channel_url(channels[0]), form(0, mode="propre")).status_code == 403
    assert not ApprovalRule.objects.exists()


def test_another_authority_is_404(director, other):
    assert director.get("/a/lens/validation/regles/").status_code == 404
    assert director.post("/a/lens/validation/regles/", form(0)).status_code == 404
    assert not ApprovalRule.objects.exists()


def test_a_channel_of_another_authority_is_404(director, other):
    r = director.post(channel_url(other["channel"]), form(1, (["director"], []), mode="propre"))
    assert r.status_code == 404
    assert not ApprovalRule.objects.exists()


def test_anonymous_is_sent_to_login(client, authority):
    r = client.get(URL)
    assert r.status_code == 302 and "/connexion/" in r["Location"]


# --- The writers directly -------------------------------------------------------------------------


def test_actions_check_permission_scope_and_record_only_real_changes(members, channels, other):
    director = members[Role.DIRECTOR]
    with pytest.raises(PermissionDenied):
        rules.set_approval_rule(members[Role.COMMUNITY_MANAGER], levels=[])
    with pytest.raises(PermissionDenied):
        rules.delete_approval_rule(members[Role.COMMUNITY_MANAGER], channels[0])
    with pytest.raises(Http404):
        rules.set_approval_rule(director, channel=other["channel"], levels=[])
    with pytest.raises(Http404):
        rules.delete_approval_rule(director, other["channel"])
    levels = [{"roles": ["director"], "users": []}]
    first = rules.set_approval_rule(director, levels=levels)
    again = rules.set_approval_rule(director, levels=levels)
    assert first.pk == again.pk
    assert AuditEvent.objects.filter(verb="approval_rule.set").count() == 1
    rules.set_approval_rule(director, levels=[])
    changed = AuditEvent.objects.filter(verb="approval_rule.set").order_by("id").last()
    assert changed.before["levels"] == levels and changed.after["levels"] == []
    assert rules.delete_approval_rule(director, channels[0]) is False
    assert rules.delete_approval_rule(director, None) is True
    assert not ApprovalRule.objects.exists()


@pytest.mark.parametrize("levels, key, message", [
    ([{}] * 4, "levels", "4 niveaux, c'est trop"),
    ({"roles": ["director"]}, "levels", "une liste de niveaux est attendue"),
    ([{"roles": ["director"], "users": [True]}], "level_1", "Niveau 1 : identifiant d'utilisateur invalide"),
    ([{"roles": ["director"]}, {"who": []}], "level_2", "Niveau 2 : champ inconnu « who »"),
])
def test_action_errors_are_keyed_by_level(members, levels, key, message):
    with pytest.raises(ValidationError) as exc:
        rules.set_approval_rule(members[Role.DIRECTOR], levels=levels)
    assert list(exc.value.message_dict) == [key]
    assert message in exc.value.message_dict[key][0]


def test_the_page_in_english(director, channels):
    from django.conf import settings
    from django.utils import translation

    director.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        html = page(director.get(URL))
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    assert "<h1>Approval rules</h1>" in html
    assert "follows the strictest rule (the one with the most levels)" in html
    assert "Use the local authority's rule" in html and "0 levels — publication without approval." in html
    assert "Règles de validation" not in html
