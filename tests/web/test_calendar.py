from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from parvis.domain.roles import Role
from tests.factories import AuthorityFactory, ChannelFactory, team
from tests.web.helpers import publication

pytestmark = pytest.mark.django_db


def test_login_page_is_french_with_stable_button(client):
    r = client.get("/connexion/")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'lang="fr"' in html and 'id="login-submit"' in html and "Mot de passe" in html


def test_login_then_home_redirects_to_the_only_authority(client, members):
    user = members[Role.VIEWER].user
    r = client.post("/connexion/", {"username": user.username, "password": "mot-de-passe-de-test"})
    assert r.status_code == 302
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/a/arras/calendrier/"


def test_home_lists_authorities_when_several(client, members, other):
    user = members[Role.DIRECTOR].user
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, authority=other["authority"], role=Role.VIEWER)
    client.force_login(user)
    r = client.get("/")
    assert r.status_code == 200
    assert "Arras" in r.content.decode() and "Lens" in r.content.decode()


def test_anonymous_is_sent_to_login(client, authority):
    r = client.get("/a/arras/calendrier/")
    assert r.status_code == 302 and r["Location"].startswith("/connexion/")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("vue", ["mois", "semaine"])
def test_calendar_renders_for_every_role(client, members, channels, role, vue):
    when = timezone.now() + timedelta(hours=2)
    publication(members[Role.DIRECTOR].authority, channels[:2], title="Conseil municipal", when=when,
                status="approved", deliveries=True)
    publication(members[Role.DIRECTOR].authority, channels[2:], title="Brouillon marché", when=when)
    client.force_login(members[role].user)
    day = when.astimezone(members[role].authority.tz).date().isoformat()
    r = client.get(f"/a/arras/calendrier/?vue={vue}&date={day}")
    html = r.content.decode()
    assert r.status_code == 200
    assert "Conseil municipal" in html and "Approuvée" in html
    assert "Brouillon marché" in html and "Brouillon" in html
    assert "Mastodon" in html and "Facebook" in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("date=2026-02-30", "Date invalide"),
        ("date=demain", "Date invalide"),
        ("date=9999-12-31", "Date invalide"),
        ("date=0001-01-01&vue=semaine", "Date invalide"),
        ("statut=publiee", "Statut inconnu"),
        ("vue=annee", "Vue inconnue"),
        ("compte=abc", "Compte inconnu"),
    ],
)
def test_bad_query_parameters_show_a_message(client, members, channels, query, message):
    client.force_login(members[Role.VIEWER].user)
    r = client.get(f"/a/arras/calendrier/?{query}")
    assert r.status_code == 400
    assert message in r.content.decode()


def test_channel_of_another_authority_is_not_a_filter(client, members, other):
    client.force_login(members[Role.VIEWER].user)
    r = client.get(f"/a/arras/calendrier/?compte={other['channel'].id}")
    assert r.status_code == 400 and "Compte inconnu" in r.content.decode()


def test_filters_by_channel_and_status(client, members, channels):
    a = members[Role.DIRECTOR].authority
    when = timezone.now() + timedelta(hours=3)
    publication(a, [channels[0]], title="Sur Mastodon", when=when, status="approved", deliveries=True)
    publication(a, [channels[1]], title="Sur X", when=when, status="approved", deliveries=True)
    publication(a, [channels[1]], title="Projet X", when=when)
    client.force_login(members[Role.VIEWER].user)
    day = when.astimezone(a.tz).date().isoformat()
    html = client.get(f"/a/arras/calendrier/?date={day}&compte={channels[1].id}").content.decode()
    assert "Sur X" in html and "Projet X" in html and "Sur Mastodon" not in html
    html = client.get(f"/a/arras/calendrier/?date={day}&statut=draft").content.decode()
    assert "Projet X" in html and "Sur X" not in html


def test_calendar_in_noumea_shows_the_local_day(client, db):
    # 2026-03-10 14:30 UTC is 2026-03-11 01:30 in Nouméa (UTC+11): the 11th, not the 10th.
    a = AuthorityFactory(slug="noumea", name="Nouméa", timezone="Pacific/Noumea")
    members = team(a)
    ch = ChannelFactory(authority=a)
    publication(a, [ch], title="Marché du port", when=datetime(2026, 3, 10, 14, 30, tzinfo=UTC), status="approved",
                deliveries=True)
    client.force_login(members[Role.VIEWER].user)
    html = client.get("/a/noumea/calendrier/?vue=semaine&date=2026-03-11").content.decode()
    assert 'data-date="2026-03-11">' in html
    # The entry is in the row of 01:00, in the column of the 11th, with the local time.
    row_01 = html.split('<th scope="row" class="hour">01:00</th>', 1)[1].split("</tr>", 1)[0]
    assert "Marché du port" in row_01
    assert row_01.index("Marché du port") > row_01.index('data-date="2026-03-11"')
    assert ">01:30<" in row_01
    month = client.get("/a/noumea/calendrier/?vue=mois&date=2026-03-01").content.decode()
    day11 = month.split('data-date="2026-03-11">', 1)[1].split("</td>", 1)[0]
    day10 = month.split('data-date="2026-03-10">', 1)[1].split("</td>", 1)[0]
    assert "Marché du port" in day11 and "Marché du port" not in day10


def test_month_grid_starts_on_monday(client, members):
    client.force_login(members[Role.VIEWER].user)
    html = client.get("/a/arras/calendrier/?vue=mois&date=2026-03-15").content.decode()
    # March 2026 starts on a Sunday: the grid starts on Monday 23 February and ends on Sunday 5 April.
    first = html.index('data-date="')
    assert html[first:first + 22] == 'data-date="2026-02-23"'
    assert 'data-date="2026-04-05"' in html and 'data-date="2026-04-06"' not in html
    assert html.index("Lundi") < html.index("Dimanche")


def test_calendar_queries_do_not_grow_with_publications(client, members, channels, django_assert_max_num_queries):
    a = members[Role.DIRECTOR].authority
    client.force_login(members[Role.VIEWER].user)
    base = timezone.now() + timedelta(hours=1)
    day = base.astimezone(a.tz).date().isoformat()
    url = f"/a/arras/calendrier/?vue=semaine&date={day}"
    publication(a, channels, when=base, status="approved", deliveries=True)
    publication(a, channels, when=base)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(15):
        publication(a, channels, title=f"P{i}", when=base + timedelta(minutes=i), status="approved", deliveries=True)
        publication(a, channels, title=f"D{i}", when=base + timedelta(minutes=i))
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = client.get(url)
    assert "P14" in r.content.decode() and "D14" in r.content.decode()
