"""The measure pages: every role reads them, only the direction sets the report's list, another authority's
channel or publication is a 404, the figures and formulas are on the page, the CSV says the same."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from parvis.analytics.models import ReportSettings
from parvis.audit.models import AuditEvent
from parvis.domain.roles import Role
from tests.analytics.conftest import daily, published
from tests.web.helpers import page

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured(authority, channels):
    fb = channels["facebook"]
    today = timezone.now().astimezone(authority.tz).date()
    start = today - timedelta(days=400)
    daily(fb, "followers", start, [4_000 + i for i in range(400)])
    daily(fb, "impressions", start, [900.0] * 400)
    now = timezone.now()
    pubs = [published(fb, now - timedelta(days=2 + i, hours=1), title=f"Publication {i}",
                      stats={"interactions": 10 * (i + 1), "impressions": 1_000, "reach": 500, "followers": 4_000})
            for i in range(5)]
    published(channels["mastodon"], now - timedelta(days=3), title="Sur Mastodon",
              stats={"interactions": 4, "followers": 100})
    return pubs


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_the_measures(client, members, measured, channels, role):
    client.force_login(members[role].user)
    fb = channels["facebook"]
    for url in ("/a/arras/mesures/", f"/a/arras/mesures/comptes/{fb.pk}/", "/a/arras/mesures/rapports/",
                f"/a/arras/mesures/publications/{measured[0].pk}/"):
        assert client.get(url).status_code == 200, url


def test_the_dashboard_names_each_formula_and_shows_absent_figures_as_absent(client, members, measured):
    client.force_login(members[Role.VIEWER].user)
    html = page(client.get("/a/arras/mesures/"))
    assert "interactions ÷ impressions (vues)" in html
    assert "interactions ÷ portée (comptes touchés)" in html
    assert "interactions ÷ abonnés" in html
    assert "Publication 4" in html  # the most engaging one is listed
    assert 'aria-current="page"' in html and ">Mesures<" in html
    assert "<svg" in html and "Données du graphique" in html  # a chart and its data table


def test_channel_page_ranks_by_each_measure_and_shows_the_score_parts(client, members, measured, channels):
    client.force_login(members[Role.VIEWER].user)
    url = f"/a/arras/mesures/comptes/{channels['facebook'].pk}/"
    html = page(client.get(url + "?tri=interactions"))
    assert html.index("Publication 4") < html.index("Publication 0")
    assert "Engagement par abonné" in html and "Abonnés pour 1 000 habitants" in html and "Poids" in html
    assert client.get(url + "?tri=per_follower").status_code == 200
    assert client.get(url + "?tri=n_importe_quoi").status_code == 404


def test_thin_history_says_so(client, members, measured, channels):
    client.force_login(members[Role.VIEWER].user)
    html = page(client.get(f"/a/arras/mesures/comptes/{channels['facebook'].pk}/"))
    assert "Historique trop mince : 5 publication(s)" in html


def test_the_heat_map_appears_with_enough_history(client, members, authority, channels):
    fb = channels["facebook"]
    now = timezone.now()
    for i in range(20):
        published(fb, now - timedelta(days=i + 1, hours=i % 6), stats={"interactions": 10 + i, "followers": 1_000})
    client.force_login(members[Role.VIEWER].user)
    html = page(client.get(f"/a/arras/mesures/comptes/{fb.pk}/"))
    assert "Meilleurs créneaux" in html and 'class="heat"' in html and "Historique trop mince" not in html


@pytest.mark.parametrize("url", [
    "/a/lens/mesures/",  # not a member there
    "/a/arras/mesures/comptes/{other_channel}/",  # a member here, but the channel is Lens'
    "/a/arras/mesures/publications/{other_delivery}/",
])
def test_another_authority_is_a_404(client, members, measured, other, url):
    d = published(other["channel"], timezone.now() - timedelta(days=1), stats={"interactions": 1})
    client.force_login(members[Role.DIRECTOR].user)
    url = url.format(other_channel=other["channel"].pk, other_delivery=d.pk)
    assert client.get(url).status_code == 404


def test_anonymous_visitors_go_to_the_login_page(client, measured):
    assert client.get("/a/arras/mesures/")["Location"].startswith("/connexion/")


def test_csv_exports_say_the_same_as_the_page(client, members, measured):
    client.force_login(members[Role.VIEWER].user)
    r = client.get("/a/arras/mesures/export/publications.csv?jours=30&tri=interactions")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["publication", "reseau"]
    assert [row[0] for row in rows[1:3]] == ["Publication 4", "Publication 3"] and rows[1][4] == "50"
    r = client.get("/a/arras/mesures/export/comptes.csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    fb = next(row for row in rows if row[0] == "facebook")
    assert fb[rows[0].index("per_impression")] == "0.03"  # 150 ÷ 5,000
    masto = next(row for row in rows if row[0] == "mastodon")
    assert masto[rows[0].index("per_impression")] == ""  # absent, not zero
    assert client.get("/a/arras/mesures/export/autre.csv").status_code == 404


def test_the_report_page_and_its_pdf(client, members, measured):
    client.force_login(members[Role.VIEWER].user)
    month = (timezone.now().date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    html = page(client.get(f"/a/arras/mesures/rapports/{month}/"))
    assert "Les faits marquants" in html and "Chiffres par réseau" in html
    r = client.get(f"/a/arras/mesures/rapports/{month}/rapport.pdf")
    assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert client.get(f"/a/arras/mesures/rapports/{month}/reseaux.csv").status_code == 200
    assert client.get("/a/arras/mesures/rapports/2026-13/").status_code == 404


def test_only_the_direction_sets_the_report_recipients(client, members, authority):
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    url = "/a/arras/mesures/rapports/destinataires/"
    assert client.post(url, {"recipients": "maire@arras.fr"}).status_code == 403
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post(url, {"recipients": "maire@arras.fr\n pas-une-adresse ", "enabled": "on"}, follow=True)
    assert "Adresses e-mail invalides : pas-une-adresse" in page(r)
    assert not ReportSettings.objects.exists()
    client.post(url, {"recipients": "maire@arras.fr; dgs@arras.fr, maire@arras.fr", "enabled": "on"})
    row = ReportSettings.objects.get(authority=authority)
    assert row.recipients == ["maire@arras.fr", "dgs@arras.fr"] and row.enabled
    assert AuditEvent.objects.filter(authority=authority, verb="report_settings.update").exists()
