import io
from datetime import timedelta

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from parvis.audit.actions import record
from parvis.channels.models import Channel
from parvis.domain.roles import Role
from parvis.organisations.models import CalendarFeed
from parvis.publishing import actions
from parvis.publishing.models import Delivery, MediaAsset
from tests.factories import ChannelFactory
from tests.web.helpers import page, publication

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


def png(width=120, height=80) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 145)).save(buf, "PNG")
    return SimpleUploadedFile("affiche.png", buf.getvalue(), content_type="image/png")


@pytest.mark.parametrize("role", list(Role))
def test_channels_page_for_every_role(client, members, channels, role):
    Channel.objects.filter(pk=channels[2].pk).update(status="reconnect")
    client.force_login(members[role].user)
    r = client.get("/a/arras/comptes/")
    html = page(r)
    assert r.status_code == 200
    assert "Compte simulé : rien n'est publié sur le vrai réseau" in html
    assert "Reconnexion nécessaire" in html and "Compte institutionnel" in html
    assert client.get(f"/a/arras/comptes/{channels[0].pk}/").status_code == 200


def test_editorial_line_is_saved_through_the_action(client, members, channels):
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    r = client.post(f"/a/arras/comptes/{channels[0].pk}/", {
        "audience": "Familles", "tone": "Chaleureux", "themes": "Culture\nSport, Travaux",
        "slot_weekday": ["4", "0", "2"], "slot_time": ["18:00", "09:30", ""], "target_posts_per_week": "5"})
    assert r.status_code == 302
    ch = Channel.objects.get(pk=channels[0].pk)
    assert ch.themes == ["Culture", "Sport", "Travaux"] and ch.target_posts_per_week == 5
    assert ch.slots == [{"weekday": 0, "time": "09:30"}, {"weekday": 4, "time": "18:00"}]


@pytest.mark.parametrize("data, message", [
    ({"slot_weekday": ["0"], "slot_time": ["25:99"], "target_posts_per_week": "3"}, "heure illisible"),
    ({"target_posts_per_week": "beaucoup"}, "nombre entier"),
])
def test_editorial_line_errors_are_shown(client, members, channels, data, message):
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post(f"/a/arras/comptes/{channels[0].pk}/", data)
    assert r.status_code == 400 and message in page(r)


def test_media_library_upload_and_list(client, members):
    client.force_login(members[Role.CONTRIBUTOR].user)
    r = client.post("/a/arras/medias/", {"file": png(), "alt_text": "Affiche de la fête"})
    assert r.status_code == 302
    asset = MediaAsset.objects.get()
    assert (asset.width, asset.height, asset.kind) == (120, 80, "image")
    html = page(client.get("/a/arras/medias/"))
    assert "affiche.png" in html and "120 × 80 px" in html and "Affiche de la fête" in html
    served = client.get(f"/a/arras/medias/{asset.pk}/fichier/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


def test_media_upload_of_a_corrupt_file_is_a_message(client, members):
    client.force_login(members[Role.DIRECTOR].user)
    bad = SimpleUploadedFile("faux.png", b"pas une image", content_type="image/png")
    r = client.post("/a/arras/medias/", {"file": bad})
    assert r.status_code == 400 and not MediaAsset.objects.exists()
    assert 'class="field-error"' in r.content.decode()


def test_audit_page_shows_french_verbs_and_a_diff(client, members, channels):
    a = members[Role.DIRECTOR].authority
    record(a, members[Role.DIRECTOR].user, "publication.updated", None, object_type="publication", object_id="7",
           before={"title": "Ancien", "status": "draft"}, after={"title": "Nouveau", "status": "draft"})
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    html = page(client.get("/a/arras/journal/"))
    assert "a modifié la publication" in html and "arras-director" in html
    assert "<del>Ancien</del>" in html and "<ins>Nouveau</ins>" in html
    assert "<dt>status</dt>" not in html  # unchanged keys are left out


def test_ical_token_page_and_feed(client, members, channels):
    a = members[Role.DIRECTOR].authority
    when = timezone.now() + timedelta(days=2)
    pub = publication(a, channels[:2], title="Conseil municipal", when=when, status="approved", deliveries=True)
    draft = publication(a, channels[2:], title="Projet", when=when + timedelta(hours=1))
    publication(a, channels[:1], title="Annulée", when=when, status="cancelled", deliveries=True,
                delivery_state="cancelled")
    client.force_login(members[Role.VIEWER].user)
    assert client.get("/a/arras/calendrier/ical/").status_code == 200
    assert client.post("/a/arras/calendrier/ical/").status_code == 302
    token = CalendarFeed.objects.get(membership=members[Role.VIEWER]).token
    assert len(token) >= 40
    assert f"/ical/{token}.ics" in client.get("/a/arras/calendrier/ical/").content.decode()
    client.logout()
    r = client.get(f"/ical/{token}.ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"[Mastodon] Conseil municipal", "[X] Conseil municipal", "[Facebook] Projet"}
    d = Delivery.objects.get(publication=pub, channel=channels[0])
    ev = events["[Mastodon] Conseil municipal"]
    assert str(ev["UID"]) == f"delivery-{d.marker}@parvis"
    assert ev.decoded("DTSTART") == d.due_at.replace(microsecond=0)
    assert ev.decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(ev["URL"]).endswith(f"/a/arras/publications/{pub.pk}/")
    assert str(events["[Facebook] Projet"]["UID"]) == f"publication-{draft.pk}@parvis"
    # Stable UIDs: a second fetch gives the same ones.
    again = icalendar.Calendar.from_ical(client.get(f"/ical/{token}.ics").content)
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == {str(e["UID"]) for e in cal.walk("VEVENT")}
    # Regenerating revokes the old address.
    client.force_login(members[Role.VIEWER].user)
    client.post("/a/arras/calendrier/ical/")
    assert client.get(f"/ical/{token}.ics").status_code == 404


def test_unknown_ical_token_is_404(client, db):
    assert client.get("/ical/inconnu.ics").status_code == 404


def test_network_text_is_escaped_on_every_page(client, members, authority):
    ch = ChannelFactory(authority=authority, network="mastodon", handle=SCRIPT, display_name=SCRIPT, audience=SCRIPT,
                        themes=[SCRIPT])
    when = timezone.now() + timedelta(days=1)
    pub = publication(authority, [ch], title=SCRIPT, body=f"Bonjour {SCRIPT}\nligne 2", when=when,
                      status="partial", deliveries=True)
    Delivery.objects.filter(publication=pub).update(state="failed", error_message=SCRIPT, error_detail=SCRIPT)
    MediaAsset.objects.create(authority=authority, file="media/x.png", original_name=SCRIPT, kind="image",
                              mime_type="image/png", size_bytes=10, alt_text=SCRIPT)
    record(authority, members[Role.DIRECTOR].user, "publication.updated", pub, before={"title": SCRIPT},
           after={"title": "ok"}, actor_label=SCRIPT)
    pub.decisions.create(round=1, level=0, decision="comment", comment=SCRIPT, signer_label=SCRIPT)
    client.force_login(members[Role.DIRECTOR].user)
    day = when.astimezone(authority.tz).date().isoformat()
    urls = [f"/a/arras/calendrier/?date={day}", f"/a/arras/calendrier/?vue=semaine&date={day}",
            f"/a/arras/publications/{pub.pk}/", "/a/arras/comptes/", f"/a/arras/comptes/{ch.pk}/",
            "/a/arras/medias/", "/a/arras/journal/"]
    draft = publication(authority, [ch], title=SCRIPT, body=SCRIPT, when=when, status="in_review")
    token = actions.approval_link(members[Role.DIRECTOR], draft, name=SCRIPT)
    urls += [f"/a/arras/publications/{draft.pk}/modifier/", f"/validation/{token}/"]
    for url in urls:
        r = client.get(url)
        html = r.content.decode()
        assert r.status_code == 200, url
        assert SCRIPT not in html, url
        assert "&lt;script&gt;" in html, url
    r = client.post("/a/arras/publications/apercu/", {"body": SCRIPT, "channels": [ch.id]})
    assert SCRIPT not in r.content.decode() and "&lt;script&gt;" in r.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_media_and_ical_pages_render_for_every_role(client, members, role):
    client.force_login(members[role].user)
    media = client.get("/a/arras/medias/")
    assert media.status_code == 200
    assert ('id="media-upload"' in media.content.decode()) == (role not in (Role.REVIEWER, Role.VIEWER))
    assert client.get("/a/arras/calendrier/ical/").status_code == 200


def test_footer_credits_the_reference_data(client, members):
    client.force_login(members[Role.VIEWER].user)
    html = page(client.get("/a/arras/comptes/"))
    assert "Données :" in html and "Licence Ouverte" in html


def test_footer_falls_back_to_a_static_credit(client, members, monkeypatch):
    from parvis.organisations import reference
    from parvis.web import context

    def broken():
        raise OSError("données absentes")

    context.reference_credit.cache_clear()
    monkeypatch.setattr(reference, "credit", broken)
    try:
        client.force_login(members[Role.VIEWER].user)
        html = page(client.get("/a/arras/comptes/"))
        assert "Données : découpage administratif (Etalab), Licence Ouverte" in html
    finally:
        context.reference_credit.cache_clear()
