"""Pages that set an authority up: new authority from the reference data (staff), team, new account."""

import pytest

from parvis.audit.models import AuditEvent
from parvis.channels.crypto import decrypt
from parvis.channels.models import Channel
from parvis.domain.networks import Network
from parvis.domain.roles import Permission, Role, can
from parvis.organisations import reference
from parvis.organisations.models import Authority, Membership
from parvis.web.views_admin import population_fr
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory
from tests.web.helpers import page

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="admin-instance", is_staff=True)


# --- New authority ----------------------------------------------------------------------------------


@pytest.mark.parametrize("population, expected", [
    (41555, "41 555 hab."), (0, "0 hab."), (999, "999 hab."), (1000, "1 000 hab."),
    (2_165_423, "2 165 423 hab."), (None, "population inconnue"),
])
def test_population_is_grouped_the_french_way(population, expected):
    assert population_fr(population) == expected


def test_non_staff_gets_403_on_authority_creation_even_as_director(client, members):
    client.force_login(members[Role.DIRECTOR].user)
    assert client.get("/collectivites/nouvelle/").status_code == 403
    assert client.get("/collectivites/nouvelle/recherche/", {"q": "Arras"}).status_code == 403
    r = client.post("/collectivites/nouvelle/", {"kind": "commune", "code": "62041"})
    assert r.status_code == 403
    assert not Authority.objects.filter(insee_code="62041").exists()


def test_anonymous_is_sent_to_login(client, db):
    r = client.get("/collectivites/nouvelle/")
    assert r.status_code == 302 and "/connexion/" in r["Location"]


def test_search_partial_finds_arras_with_french_details(client, staff):
    client.force_login(staff)
    r = client.get("/collectivites/nouvelle/recherche/", {"q": "Arras"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = page(r)
    assert "<html" not in html  # a partial, not a page
    assert "62041" in html and "Arras" in html
    entry = reference.get("commune", "62041")
    assert population_fr(entry.population) in html
    assert "Pas-de-Calais (62)" in html and "Europe/Paris" in html and "Commune" in html
    # The first row is the exact match, with a button that creates it.
    assert html.index("62041") < html.index("Arras-sur-Rhône")
    assert 'name="code" value="62041"' in html


def test_search_shows_epci_nature_and_no_match_message(client, staff):
    client.force_login(staff)
    html = page(client.get("/collectivites/nouvelle/recherche/", {"q": "200033579"}))
    assert "Communauté urbaine" in html and "CU d'Arras" in html
    html = page(client.get("/collectivites/nouvelle/recherche/", {"q": "zzzqqq"}))
    assert "Aucune collectivité ne correspond à « zzzqqq »" in html
    assert client.get("/collectivites/nouvelle/recherche/", {"q": ""}).content.strip() == b""


def test_search_escapes_the_query(client, staff):
    client.force_login(staff)
    html = client.get("/collectivites/nouvelle/recherche/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)" not in html


def test_new_authority_page_shows_credit_search_and_results_without_js(client, staff):
    client.force_login(staff)
    r = client.get("/collectivites/nouvelle/", {"q": "62041"})
    html = page(r)
    assert r.status_code == 200
    assert reference.credit() in html and "Licence Ouverte" in html
    assert 'hx-get="/collectivites/nouvelle/recherche/"' in html
    assert 'name="code" value="62041"' in html


def test_staff_sees_the_link_on_home_and_others_do_not(client, staff, members):
    client.force_login(staff)
    assert 'href="/collectivites/nouvelle/"' in client.get("/").content.decode()
    client.force_login(members[Role.DIRECTOR].user)
    r = client.get("/", follow=True)
    assert r.status_code == 200 and 'href="/collectivites/nouvelle/"' not in r.content.decode()


def test_creation_from_reference_fills_population_and_time_zone(client, staff):
    client.force_login(staff)
    r = client.post("/collectivites/nouvelle/", {"kind": "commune", "code": "97411"})
    a = Authority.objects.get(insee_code="97411")
    assert r.status_code == 302 and r["Location"] == f"/a/{a.slug}/calendrier/"
    assert a.name == "Saint-Denis" and a.kind == "commune"
    assert a.timezone == "Indian/Reunion"
    assert a.population == reference.get("commune", "97411").population and a.population > 100_000
    assert a.siren == "219740115"
    assert Membership.objects.get(authority=a, user=staff).role == Role.DIRECTOR
    assert AuditEvent.objects.filter(authority=a, verb="authority.created", actor=staff).count() == 1
    # The creator lands on the calendar of the new authority.
    assert client.get(r["Location"]).status_code == 200


def test_creating_an_epci_keeps_its_siren(client, staff):
    client.force_login(staff)
    r = client.post("/collectivites/nouvelle/", {"kind": "epci", "code": "200033579"})
    assert r.status_code == 302
    a = Authority.objects.get(siren="200033579")
    assert a.kind == "epci" and a.insee_code == "" and a.timezone == "Europe/Paris"


def test_duplicate_creation_is_a_clear_message(client, staff):
    client.force_login(staff)
    assert client.post("/collectivites/nouvelle/", {"kind": "commune", "code": "62041"}).status_code == 302
    r = client.post("/collectivites/nouvelle/", {"kind": "commune", "code": "62041"})
    assert r.status_code == 400
    assert "« Arras » existe déjà dans Parvis" in page(r)
    assert Authority.objects.filter(insee_code="62041").count() == 1


def test_duplicate_of_an_authority_created_under_another_slug(client, staff):
    AuthorityFactory(slug="arras", name="Arras", insee_code="62041")
    client.force_login(staff)
    r = client.post("/collectivites/nouvelle/", {"kind": "commune", "code": "62041"})
    assert r.status_code == 400 and "/a/arras/" in page(r)
    assert Authority.objects.filter(insee_code="62041").count() == 1
    # The search marks it instead of offering to create it again.
    html = page(client.get("/collectivites/nouvelle/recherche/", {"q": "62041"}))
    assert "Déjà dans Parvis" in html and 'value="62041"' not in html


@pytest.mark.parametrize("data", [{}, {"kind": "commune", "code": "00000"}, {"kind": "planete", "code": "62041"},
                                  {"kind": "commune"}, {"code": "62041"}])
def test_unknown_reference_is_a_message_not_an_error(client, staff, data):
    client.force_login(staff)
    r = client.post("/collectivites/nouvelle/", data)
    assert r.status_code == 400 and "Choisissez une collectivité dans la liste" in page(r)
    assert not Authority.objects.exists()


# --- Team -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_team_page_lists_members_with_role_labels_for_every_role(client, members, role):
    client.force_login(members[role].user)
    r = client.get("/a/arras/equipe/")
    assert r.status_code == 200
    html = page(r)
    assert "Direction de la communication" in html and "Lecture seule" in html
    for m in members.values():
        assert m.user.username in html
    manages = can(role, Permission.MANAGE_MEMBERS)
    assert ('id="member-add"' in html) is manages
    assert ("/retirer/" in html) is manages


def test_team_pages_of_another_authority_are_404(client, members, other):
    client.force_login(other["members"][Role.DIRECTOR].user)
    ours = members[Role.VIEWER]
    assert client.get("/a/arras/equipe/").status_code == 404
    assert client.post("/a/arras/equipe/", {"username": "x", "role": "viewer"}).status_code == 404
    assert client.post(f"/a/arras/equipe/{ours.pk}/role/", {"role": "director"}).status_code == 404
    assert client.post(f"/a/arras/equipe/{ours.pk}/retirer/").status_code == 404
    # Our member under their own slug: still not theirs.
    assert client.post(f"/a/lens/equipe/{ours.pk}/role/", {"role": "director"}).status_code == 404
    assert client.post(f"/a/lens/equipe/{ours.pk}/retirer/").status_code == 404
    ours.refresh_from_db()
    assert ours.role == Role.VIEWER
    assert not AuditEvent.objects.filter(authority=ours.authority).exists()


@pytest.mark.parametrize("role", [r for r in Role if not can(r, Permission.MANAGE_MEMBERS)])
def test_team_writes_are_403_without_manage_members(client, members, role):
    client.force_login(members[role].user)
    target = members[Role.VIEWER]
    assert client.post("/a/arras/equipe/", {"username": "nouveau", "role": "viewer"}).status_code == 403
    assert client.post(f"/a/arras/equipe/{target.pk}/role/", {"role": "director"}).status_code == 403
    assert client.post(f"/a/arras/equipe/{target.pk}/retirer/").status_code == 403
    target.refresh_from_db()
    assert target.role == Role.VIEWER
    assert not Membership.objects.filter(user__username="nouveau").exists()
    assert not AuditEvent.objects.exists()


def test_director_adds_a_member_with_a_password(client, members):
    director = members[Role.DIRECTOR]
    client.force_login(director.user)
    r = client.post("/a/arras/equipe/", {"username": "stagiaire", "email": "stagiaire@arras.fr",
                                         "role": "contributor", "password": "Beffroi-2026-arras"})
    assert r.status_code == 302 and r["Location"] == "/a/arras/equipe/"
    m = Membership.objects.get(user__username="stagiaire", authority=director.authority)
    assert m.role == Role.CONTRIBUTOR and m.user.email == "stagiaire@arras.fr"
    assert m.user.check_password("Beffroi-2026-arras")
    event = AuditEvent.objects.get(verb="member.added")
    assert event.actor == director.user and event.after == {"user": "stagiaire", "role": "contributor"}
    assert client.login(username="stagiaire", password="Beffroi-2026-arras")


def test_member_without_password_cannot_log_in_and_the_page_says_so(client, members):
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post("/a/arras/equipe/", {"username": "elu.culture", "email": "", "role": "reviewer",
                                         "password": ""}, follow=True)
    assert "sans mot de passe" in page(r)
    user = Membership.objects.get(user__username="elu.culture").user
    assert not user.has_usable_password()


def test_adding_an_existing_account_keeps_its_password(client, members, other):
    lens_user = other["members"][Role.CONTRIBUTOR].user
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post("/a/arras/equipe/", {"username": lens_user.username, "role": "viewer",
                                         "password": "Autre-mot-de-passe-42"}, follow=True)
    assert "son mot de passe n'a pas changé" in page(r)
    lens_user.refresh_from_db()
    assert not lens_user.check_password("Autre-mot-de-passe-42")
    assert Membership.objects.filter(user=lens_user).count() == 2


@pytest.mark.parametrize("data, field_message", [
    ({"username": "", "role": "viewer"}, "Indiquez l'identifiant de connexion"),
    ({"username": "jean dupont", "role": "viewer"}, "Identifiant invalide"),
    ({"username": "x" * 151, "role": "viewer"}, "Identifiant trop long"),
    ({"username": "jd", "email": "pas-un-courriel", "role": "viewer"}, "Adresse de courriel invalide"),
    ({"username": "jd", "role": "maire"}, "Choisissez un rôle dans la liste"),
    ({"username": "jd", "role": "viewer", "password": "123"}, "Mot de passe refusé"),
    ({"username": "jd", "role": "viewer", "password": "password123"}, "Mot de passe refusé"),
])
def test_add_member_errors_name_the_field(client, members, data, field_message):
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post("/a/arras/equipe/", data)
    assert r.status_code == 400 and field_message in page(r)
    assert 'value="123"' not in r.content.decode() and "password123" not in r.content.decode()
    assert not Membership.objects.filter(user__username="jd").exists()


def test_adding_someone_already_in_the_team_is_a_message(client, members):
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post("/a/arras/equipe/", {"username": members[Role.VIEWER].user.username, "role": "director"})
    assert r.status_code == 400 and "fait déjà partie de l'équipe" in page(r)
    members[Role.VIEWER].refresh_from_db()
    assert members[Role.VIEWER].role == Role.VIEWER


def test_director_changes_a_role_and_it_is_audited(client, members):
    director, target = members[Role.DIRECTOR], members[Role.CONTRIBUTOR]
    client.force_login(director.user)
    r = client.post(f"/a/arras/equipe/{target.pk}/role/", {"role": "community_manager"})
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.COMMUNITY_MANAGER
    event = AuditEvent.objects.get(verb="member.role_changed")
    assert event.actor == director.user and event.object_id == str(target.pk)
    assert event.before["role"] == "contributor" and event.after["role"] == "community_manager"


def test_unknown_role_is_refused(client, members):
    client.force_login(members[Role.DIRECTOR].user)
    target = members[Role.VIEWER]
    r = client.post(f"/a/arras/equipe/{target.pk}/role/", {"role": "superuser"})
    assert r.status_code == 400 and "Choisissez un rôle" in page(r)
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_last_director_cannot_be_demoted_nor_removed(client, members):
    director = members[Role.DIRECTOR]
    client.force_login(director.user)
    r = client.post(f"/a/arras/equipe/{director.pk}/role/", {"role": "viewer"})
    assert r.status_code == 400 and "seule personne à la direction de la communication" in page(r)
    r = client.post(f"/a/arras/equipe/{director.pk}/retirer/")
    assert r.status_code == 400 and "seule personne à la direction de la communication" in page(r)
    director.refresh_from_db()
    assert director.role == Role.DIRECTOR
    assert not AuditEvent.objects.filter(verb__in=["member.role_changed", "member.removed"]).exists()


def test_a_director_steps_down_once_another_is_named(client, members):
    director, cm = members[Role.DIRECTOR], members[Role.COMMUNITY_MANAGER]
    client.force_login(director.user)
    assert client.post(f"/a/arras/equipe/{cm.pk}/role/", {"role": "director"}).status_code == 302
    # Now two directors: the first may step down, and loses the team management at once.
    r = client.post(f"/a/arras/equipe/{director.pk}/role/", {"role": "viewer"})
    assert r.status_code == 302 and r["Location"] == "/a/arras/calendrier/"
    assert client.post(f"/a/arras/equipe/{cm.pk}/role/", {"role": "viewer"}).status_code == 403
    cm.refresh_from_db()
    assert cm.role == Role.DIRECTOR
    assert Membership.objects.filter(authority=director.authority, role=Role.DIRECTOR).count() == 1


def test_director_removes_a_member_and_it_is_audited(client, members):
    director, target = members[Role.DIRECTOR], members[Role.REVIEWER]
    client.force_login(director.user)
    r = client.post(f"/a/arras/equipe/{target.pk}/retirer/")
    assert r.status_code == 302
    assert not Membership.objects.filter(pk=target.pk).exists()
    assert target.user.__class__.objects.filter(pk=target.user.pk).exists()  # the account stays
    event = AuditEvent.objects.get(verb="member.removed")
    assert event.actor == director.user and event.before == {"user": target.user.username, "role": "reviewer"}
    # The removed person no longer sees the authority.
    client.force_login(target.user)
    assert client.get("/a/arras/calendrier/").status_code == 404


def test_removal_only_counts_directors_of_the_same_authority(client, members, other):
    director = members[Role.DIRECTOR]
    # A director elsewhere does not make ours removable.
    MembershipFactory(user=director.user, authority=other["authority"], role=Role.DIRECTOR)
    client.force_login(director.user)
    assert client.post(f"/a/arras/equipe/{director.pk}/retirer/").status_code == 400
    assert Membership.objects.filter(pk=director.pk).exists()


# --- New channel ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_new_channel_page_needs_manage_channels(client, members, role):
    client.force_login(members[role].user)
    expected = 200 if can(role, Permission.MANAGE_CHANNELS) else 403
    assert client.get("/a/arras/comptes/nouveau/").status_code == expected
    r = client.post("/a/arras/comptes/nouveau/", {"network": "mastodon", "handle": f"h-{role}",
                                                 "account_kind": "institutional", "is_sandbox": "on"})
    assert r.status_code == (302 if expected == 200 else 403)
    assert Channel.objects.filter(handle=f"h-{role}").exists() is (expected == 200)


def test_new_channel_page_of_another_authority_is_404(client, members, other):
    client.force_login(other["members"][Role.DIRECTOR].user)
    assert client.get("/a/arras/comptes/nouveau/").status_code == 404
    assert client.post("/a/arras/comptes/nouveau/", {"network": "x", "handle": "intrus",
                                                    "account_kind": "institutional"}).status_code == 404
    assert not Channel.objects.filter(handle="intrus").exists()


def test_new_channel_form_offers_ten_networks_and_sandbox_checked(client, members):
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    html = page(client.get("/a/arras/comptes/nouveau/"))
    for n in Network:
        assert f'<option value="{n.value}"' in html
    assert len(list(Network)) == 10
    assert 'name="is_sandbox" id="id_is_sandbox" checked' in html
    assert "Compte simulé (démo, tests)" in html
    assert "connecteurs" in html and "échoueront" in html


def test_creating_a_sandbox_channel(client, members):
    cm = members[Role.COMMUNITY_MANAGER]
    client.force_login(cm.user)
    r = client.post("/a/arras/comptes/nouveau/", {"network": "bluesky", "handle": " ville-arras.bsky.social ",
                                                 "display_name": "Ville d'Arras", "account_kind": "institutional",
                                                 "is_sandbox": "on"})
    c = Channel.objects.get(authority=cm.authority, network="bluesky")
    assert r.status_code == 302 and r["Location"] == f"/a/arras/comptes/{c.pk}/"
    assert c.handle == "ville-arras.bsky.social" and c.display_name == "Ville d'Arras"
    assert c.is_sandbox and c.account_kind == "institutional" and decrypt(c.credentials) == {}
    event = AuditEvent.objects.get(verb="channel.created")
    assert event.actor == cm.user and event.after["sandbox"] is True
    # The editorial line is set next, on the existing page.
    assert "Ligne éditoriale" in page(client.get(r["Location"]))


def test_a_real_channel_is_created_with_a_warning(client, members):
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post("/a/arras/comptes/nouveau/", {"network": "facebook", "handle": "maire.arras",
                                                 "account_kind": "personal"}, follow=True)
    c = Channel.objects.get(handle="maire.arras")
    assert not c.is_sandbox and c.account_kind == "personal"
    assert "n'est pas encore disponible" in page(r)


@pytest.mark.parametrize("data, message", [
    ({"network": "myspace", "handle": "a", "account_kind": "institutional"}, "Choisissez le réseau"),
    ({"network": "x", "handle": "  ", "account_kind": "institutional"}, "Indiquez l'identifiant du compte"),
    ({"network": "x", "handle": "h" * 201, "account_kind": "institutional"}, "Identifiant trop long"),
    ({"network": "x", "handle": "a", "display_name": "d" * 201, "account_kind": "institutional"},
     "Nom affiché trop long"),
    ({"network": "x", "handle": "a", "account_kind": "robot"}, "compte institutionnel ou du compte personnel"),
])
def test_new_channel_errors_name_the_field(client, members, data, message):
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post("/a/arras/comptes/nouveau/", data)
    assert r.status_code == 400 and message in page(r)
    assert not Channel.objects.exists()


def test_duplicate_channel_is_a_message(client, members, channels):
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post("/a/arras/comptes/nouveau/", {"network": "x", "handle": "VilleArras",
                                                 "account_kind": "institutional", "is_sandbox": "on"})
    assert r.status_code == 400 and "Ce compte existe déjà" in page(r)
    assert Channel.objects.filter(handle="VilleArras").count() == 1


def test_navigation_links_follow_permissions(client, members):
    for role in Role:
        client.force_login(members[role].user)
        html = client.get("/a/arras/calendrier/").content.decode()
        assert 'href="/a/arras/equipe/"' in html, role
        assert ('href="/a/arras/comptes/nouveau/"' in html) is can(role, Permission.MANAGE_CHANNELS), role
