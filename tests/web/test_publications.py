import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from parvis.domain.roles import Role
from parvis.publishing.models import ApprovalDecision, Delivery, Publication
from tests.factories import one_level_rule
from tests.web.helpers import page, publication

pytestmark = pytest.mark.django_db

WRITERS = (Role.DIRECTOR, Role.COMMUNITY_MANAGER, Role.CONTRIBUTOR)


def future_local(authority, days=3) -> str:
    return (timezone.now() + timedelta(days=days)).astimezone(authority.tz).strftime("%Y-%m-%dT%H:%M")


def compose(client, chosen, **overrides):
    channels = chosen
    data = {"title": "Fête de la musique", "body": "Rendez-vous le 21 juin place des Héros !",
            "link": "https://www.arras.fr/fete", "channels": [c.id for c in channels], "schedule_mode": "at",
            "scheduled_at": future_local(channels[0].authority)}
    data.update(overrides)
    return client.post("/a/arras/publications/nouvelle/", data)


@pytest.mark.parametrize("role", WRITERS)
def test_composer_renders_for_writers(client, members, channels, role):
    client.force_login(members[role].user)
    r = client.get("/a/arras/publications/nouvelle/")
    html = page(r)
    assert r.status_code == 200
    for marker in ('name="title"', 'name="body"', 'name="link"', 'name="channels"', 'name="schedule_mode"',
                   'name="scheduled_at"', 'id="compose-save"', "Simulation", "Prochain créneau libre"):
        assert marker in html


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VIEWER])
def test_composer_is_forbidden_without_draft_permission(client, members, channels, role):
    client.force_login(members[role].user)
    assert client.get("/a/arras/publications/nouvelle/").status_code == 403
    assert compose(client, channels).status_code == 403
    assert not Publication.objects.exists()


def test_composer_creates_a_publication_with_variants(client, members, channels):
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    r = compose(client, channels[:2], **{f"variant_{channels[1].id}": "Texte court pour X", f"edited_{channels[1].id}": "1"})
    assert r.status_code == 302
    pub = Publication.objects.get()
    assert r["Location"] == f"/a/arras/publications/{pub.pk}/"
    variants = {v.channel_id: v for v in pub.variants.all()}
    assert set(variants) == {channels[0].id, channels[1].id}
    assert variants[channels[1].id].text == "Texte court pour X" and variants[channels[1].id].edited
    assert not variants[channels[0].id].edited and "21 juin" in variants[channels[0].id].text
    assert pub.created_by == members[Role.COMMUNITY_MANAGER].user


def test_scheduled_at_is_read_in_the_authority_time_zone(client, members, channels):
    a = members[Role.DIRECTOR].authority
    a.timezone = "Pacific/Noumea"
    a.save()
    client.force_login(members[Role.DIRECTOR].user)
    year = timezone.now().year + 1
    assert compose(client, channels[:1], scheduled_at=f"{year}-03-11T01:30").status_code == 302
    assert Publication.objects.get().scheduled_at == datetime(year, 3, 10, 14, 30, tzinfo=UTC)


def test_nonexistent_local_time_uses_fold_zero(client, members, channels):
    # 02:30 does not exist in Paris on the last Sunday of March: the offset before the change (+01:00) applies.
    client.force_login(members[Role.DIRECTOR].user)
    year = timezone.now().year + 1
    last_sunday = max(d for d in (datetime(year, 3, day) for day in range(25, 32)) if d.weekday() == 6)
    assert compose(client, channels[:1], scheduled_at=f"{last_sunday:%Y-%m-%d}T02:30").status_code == 302
    assert Publication.objects.get().scheduled_at == datetime(year, 3, last_sunday.day, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"scheduled_at": "31/02/2026 10:00"}, "Date et heure illisibles"),
        ({"scheduled_at": "2020-01-01T10:00"}, "Cette date est déjà passée"),
        ({"scheduled_at": "9999-12-31T23:59"}, "Date hors des limites"),
        ({"title": "  "}, "Donnez un titre interne"),
        ({"channels": ["999999"]}, "n'existe pas dans votre collectivité"),
        ({"channels": []}, "Choisissez au moins un compte"),
        ({"channels": ["x"]}, "Valeur invalide"),
        ({"schedule_mode": "hier"}, "Mode de programmation inconnu"),
    ],
)
def test_bad_input_shows_a_message_not_a_500(client, members, channels, overrides, field_message):
    client.force_login(members[Role.DIRECTOR].user)
    r = compose(client, channels[:1], **overrides)
    assert r.status_code == 400
    assert field_message in page(r)
    assert not Publication.objects.exists()


def test_channel_of_another_authority_is_refused(client, members, channels, other):
    client.force_login(members[Role.DIRECTOR].user)
    r = compose(client, [channels[0], other["channel"]])
    assert r.status_code == 400 and "n'existe pas dans votre collectivité" in page(r)


def test_preview_returns_cards_with_counters(client, members, channels):
    client.force_login(members[Role.CONTRIBUTOR].user)
    body = "a" * 300
    r = client.post("/a/arras/publications/apercu/", {"body": body, "channels": [channels[0].id, channels[1].id]})
    html = page(r)
    assert r.status_code == 200
    assert "300 / 500" in html  # Mastodon
    assert "300 / 280" in html  # X counts the same letters, but its limit is 280
    assert "problem error" in html and 'aria-live="polite"' in html
    assert 'class="preview preview-x"' in html and 'class="preview preview-mastodon"' in html


def test_preview_of_one_edited_variant(client, members, channels):
    client.force_login(members[Role.CONTRIBUTOR].user)
    cid = channels[1].id
    r = client.post("/a/arras/publications/apercu/", {"body": "Bonjour", "channels": [cid], "only": str(cid),
                                                      f"variant_{cid}": "Salut la ville", f"edited_{cid}": "1"})
    html = page(r)
    assert r.status_code == 200
    assert f'id="counter-{cid}" hx-swap-oob="innerHTML"' in html
    assert "14 / 280" in html and "Salut la ville" in html


def test_preview_requires_the_draft_permission(client, members, channels):
    client.force_login(members[Role.VIEWER].user)
    assert client.post("/a/arras/publications/apercu/", {"body": "x"}).status_code == 403


@pytest.mark.parametrize("role", list(Role))
def test_publication_page_renders_for_every_role(client, members, channels, role):
    pub = publication(members[Role.DIRECTOR].authority, channels, when=timezone.now() + timedelta(days=1),
                      author=members[Role.CONTRIBUTOR].user)
    client.force_login(members[role].user)
    r = client.get(f"/a/arras/publications/{pub.pk}/")
    html = page(r)
    assert r.status_code == 200
    assert "Fête de la musique" in html and "Brouillon" in html and "Historique de validation" in html
    assert ('id="submit-for-approval"' in html) == (role in WRITERS)


def test_edit_updates_through_the_action(client, members, channels):
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    compose(client, channels[:1])
    pub = Publication.objects.get()
    assert client.get(f"/a/arras/publications/{pub.pk}/modifier/").status_code == 200
    r = client.post(f"/a/arras/publications/{pub.pk}/modifier/", {
        "title": "Nouveau titre", "body": "Nouveau texte", "link": "", "channels": [channels[0].id, channels[2].id],
        "schedule_mode": "now"})
    assert r.status_code == 302
    pub.refresh_from_db()
    assert pub.title == "Nouveau titre" and pub.schedule_mode == "now"
    assert {v.channel_id for v in pub.variants.all()} == {channels[0].id, channels[2].id}


def submitted(client, members, channels, author_role=Role.CONTRIBUTOR) -> Publication:
    one_level_rule(members[Role.DIRECTOR].authority)
    client.force_login(members[author_role].user)
    assert compose(client, channels[:1]).status_code == 302
    pub = Publication.objects.get()
    r = client.post(f"/a/arras/publications/{pub.pk}/envoyer/")
    assert r.status_code == 302, page(r)[:2000]
    pub.refresh_from_db()
    assert pub.status == "in_review"
    return pub


def test_submit_then_reviewer_approves(client, members, channels):
    pub = submitted(client, members, channels)
    client.force_login(members[Role.REVIEWER].user)
    html = client.get(f"/a/arras/publications/{pub.pk}/").content.decode()
    assert 'id="approve"' in html and 'id="reject"' in html and "En validation" in html
    r = client.post(f"/a/arras/publications/{pub.pk}/decision/", {"decision": "approve"})
    assert r.status_code == 302
    pub.refresh_from_db()
    assert pub.status == "approved"
    html = client.get(f"/a/arras/publications/{pub.pk}/").content.decode()
    assert "Programmée" in html and "Approuvé" in html


def test_approval_by_the_author_is_refused(client, members, channels):
    pub = submitted(client, members, channels, author_role=Role.DIRECTOR)
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post(f"/a/arras/publications/{pub.pk}/decision/", {"decision": "approve"})
    assert r.status_code == 403
    assert "propre publication" in page(r)
    pub.refresh_from_db()
    assert pub.status == "in_review"


def test_reject_requires_a_comment(client, members, channels):
    pub = submitted(client, members, channels)
    client.force_login(members[Role.REVIEWER].user)
    r = client.post(f"/a/arras/publications/{pub.pk}/decision/", {"decision": "reject", "comment": ""})
    assert r.status_code == 400 and "raison du refus" in page(r)
    r = client.post(f"/a/arras/publications/{pub.pk}/decision/", {"decision": "reject", "comment": "Date fausse"})
    assert r.status_code == 302
    pub.refresh_from_db()
    assert pub.status == "draft"
    assert ApprovalDecision.objects.get().comment == "Date fausse"


def test_submit_with_errors_shows_them(client, members, channels):
    client.force_login(members[Role.DIRECTOR].user)
    compose(client, channels[1:2], body="x" * 400)
    pub = Publication.objects.get()
    r = client.post(f"/a/arras/publications/{pub.pk}/envoyer/")
    assert r.status_code == 400 and "VilleArras" in page(r)


def test_signed_link_flow_approves(client, members, channels):
    pub = submitted(client, members, channels)
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    r = client.post(f"/a/arras/publications/{pub.pk}/lien-validation/", {"name": "Mme la Maire"})
    html = page(r)
    assert r.status_code == 200
    url = re.search(r'value="(http://testserver/validation/[^"]+/)"', html).group(1)
    client.logout()
    path = url.removeprefix("http://testserver")
    shown = client.get(path)
    assert shown.status_code == 200 and 'value="Mme la Maire"' in page(shown)
    assert "Rendez-vous le 21 juin" in page(shown)
    r = client.post(path, {"decision": "approve", "name": "Mme la Maire"})
    assert r.status_code == 200 and "Merci" in page(r)
    pub.refresh_from_db()
    assert pub.status == "approved"
    decision = ApprovalDecision.objects.get(decision="approve")
    assert decision.signer_label == "Mme la Maire" and decision.user is None
    # The link is spent: the page says so and offers no button.
    again = client.get(path).content.decode()
    assert "plus valable" in again and 'id="approve"' not in again


@pytest.mark.parametrize("token", ["n-importe-quoi", "eyJwdWIiOjF9:1abc:def"])
def test_bad_approval_token_is_a_clear_400(client, db, token):
    r = client.get(f"/validation/{token}/")
    assert r.status_code == 400 and "n'est pas valide" in page(r)
    assert client.post(f"/validation/{token}/", {"decision": "approve"}).status_code == 400


def test_expired_approval_token(client, members, channels, settings):
    pub = submitted(client, members, channels)
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    html = client.post(f"/a/arras/publications/{pub.pk}/lien-validation/", {"name": "M. l'adjoint"}).content.decode()
    path = re.search(r'value="http://testserver(/validation/[^"]+/)"', html).group(1)
    settings.APPROVAL_LINK_MAX_AGE = -1
    r = client.get(path)
    assert r.status_code == 400 and "expiré" in page(r)


def test_cancel_and_delivery_buttons(client, members, channels):
    a = members[Role.DIRECTOR].authority
    pub = publication(a, channels[:2], status="partial", when=timezone.now() - timedelta(hours=1), deliveries=True)
    failed, unconfirmed = pub.deliveries.order_by("id")
    Delivery.objects.filter(pk=failed.pk).update(state="failed", error_message="Le réseau refuse l'image.")
    Delivery.objects.filter(pk=unconfirmed.pk).update(state="unconfirmed")
    client.force_login(members[Role.COMMUNITY_MANAGER].user)
    html = client.get(f"/a/arras/publications/{pub.pk}/").content.decode()
    assert "Relancer" in html and "Vérifié : publié" in html and "Le réseau refuse l&#x27;image." in html
    assert client.post(f"/a/arras/diffusions/{failed.pk}/relancer/").status_code == 302
    failed.refresh_from_db()
    assert failed.state == "scheduled"
    r = client.post(f"/a/arras/diffusions/{unconfirmed.pk}/verifier/",
                    {"result": "published", "url": "https://mastodon.social/@arras/1"})
    assert r.status_code == 302
    unconfirmed.refresh_from_db()
    assert unconfirmed.state == "published"
    html = client.get(f"/a/arras/publications/{pub.pk}/").content.decode()
    assert "Voir sur le réseau" in html


def test_retry_of_a_scheduled_delivery_is_a_message(client, members, channels):
    pub = publication(members[Role.DIRECTOR].authority, channels[:1], status="approved",
                      when=timezone.now() + timedelta(hours=1), deliveries=True)
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post(f"/a/arras/diffusions/{pub.deliveries.get().pk}/relancer/")
    assert r.status_code == 400 and "Seule une diffusion en échec" in page(r)


def test_cancel_a_published_publication_is_a_message(client, members, channels):
    pub = publication(members[Role.DIRECTOR].authority, channels[:1], status="published",
                      when=timezone.now() - timedelta(hours=1))
    client.force_login(members[Role.DIRECTOR].user)
    r = client.post(f"/a/arras/publications/{pub.pk}/annuler/")
    assert r.status_code == 400 and "transition impossible" in page(r)
