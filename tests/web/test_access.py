"""Scoping and permissions of every page: another authority is a 404, a missing permission a 403."""

from datetime import timedelta

import pytest
from django.utils import timezone

from parvis.audit.models import AuditEvent
from parvis.domain.roles import Permission, Role, can
from parvis.publishing.models import Delivery, MediaAsset
from tests.web.helpers import publication

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(members, channels):
    a = members[Role.DIRECTOR].authority
    pub = publication(a, channels[:1], status="approved", when=timezone.now() + timedelta(days=1), deliveries=True)
    asset = MediaAsset.objects.create(authority=a, file="media/x.png", original_name="x.png", kind="image",
                                      mime_type="image/png", size_bytes=10)
    return {"pub": pub, "delivery": Delivery.objects.get(publication=pub), "channel": channels[0], "asset": asset}


def get_urls(o):
    p, c, m = o["pub"].pk, o["channel"].pk, o["asset"].pk
    return ["/a/arras/", "/a/arras/calendrier/", "/a/arras/calendrier/ical/", "/a/arras/publications/nouvelle/",
            f"/a/arras/publications/{p}/", f"/a/arras/publications/{p}/modifier/", "/a/arras/comptes/",
            f"/a/arras/comptes/{c}/", "/a/arras/medias/", f"/a/arras/medias/{m}/fichier/", "/a/arras/journal/"]


def post_urls(o):
    p, d, c = o["pub"].pk, o["delivery"].pk, o["channel"].pk
    return ["/a/arras/publications/nouvelle/", "/a/arras/publications/apercu/", f"/a/arras/publications/{p}/modifier/",
            f"/a/arras/publications/{p}/envoyer/", f"/a/arras/publications/{p}/decision/",
            f"/a/arras/publications/{p}/lien-validation/", f"/a/arras/publications/{p}/annuler/",
            f"/a/arras/diffusions/{d}/relancer/", f"/a/arras/diffusions/{d}/verifier/", f"/a/arras/comptes/{c}/",
            "/a/arras/medias/", "/a/arras/calendrier/ical/"]


def test_member_of_another_authority_gets_404_everywhere(client, objects, other):
    client.force_login(other["members"][Role.DIRECTOR].user)
    for url in get_urls(objects):
        assert client.get(url).status_code == 404, url
    for url in post_urls(objects):
        assert client.post(url, {"decision": "approve", "comment": "x"}).status_code == 404, url
    assert not AuditEvent.objects.filter(authority=objects["pub"].authority).exists()


def test_objects_of_another_authority_under_ones_own_slug_are_404(client, objects, other):
    client.force_login(other["members"][Role.DIRECTOR].user)
    p, d, c, m = objects["pub"].pk, objects["delivery"].pk, objects["channel"].pk, objects["asset"].pk
    for url in [f"/a/lens/publications/{p}/", f"/a/lens/publications/{p}/modifier/", f"/a/lens/comptes/{c}/",
                f"/a/lens/medias/{m}/fichier/"]:
        assert client.get(url).status_code == 404, url
    for url in [f"/a/lens/publications/{p}/modifier/", f"/a/lens/publications/{p}/envoyer/",
                f"/a/lens/publications/{p}/decision/", f"/a/lens/publications/{p}/lien-validation/",
                f"/a/lens/publications/{p}/annuler/", f"/a/lens/diffusions/{d}/relancer/",
                f"/a/lens/diffusions/{d}/verifier/", f"/a/lens/comptes/{c}/"]:
        assert client.post(url, {"decision": "comment", "comment": "x", "name": "x"}).status_code == 404, url
    objects["pub"].refresh_from_db()
    assert objects["pub"].status == "approved" and not objects["pub"].decisions.exists()


WRITES = [
    # (url template, permission, data)
    ("/a/arras/publications/nouvelle/", Permission.DRAFT, {"title": "t", "channels": []}),
    ("/a/arras/publications/{p}/modifier/", Permission.DRAFT, {"title": "t"}),
    ("/a/arras/publications/{p}/envoyer/", Permission.SUBMIT, {}),
    ("/a/arras/publications/{p}/decision/", Permission.COMMENT, {"decision": "comment", "comment": "Bien"}),
    ("/a/arras/publications/{p}/lien-validation/", Permission.SUBMIT, {"name": "Élu"}),
    ("/a/arras/publications/{p}/annuler/", Permission.SCHEDULE, {}),
    ("/a/arras/diffusions/{d}/relancer/", Permission.SCHEDULE, {}),
    ("/a/arras/diffusions/{d}/verifier/", Permission.SCHEDULE, {"result": "published"}),
    ("/a/arras/comptes/{c}/", Permission.MANAGE_CHANNELS, {"target_posts_per_week": "3"}),
    ("/a/arras/medias/", Permission.DRAFT, {}),
]


@pytest.mark.parametrize("role", list(Role))
def test_roles_without_permission_get_403_on_each_writing_view(client, members, objects, role):
    client.force_login(members[role].user)
    o = objects
    checked = 0
    for template, permission, data in WRITES:
        if can(role, permission):
            continue
        url = template.format(p=o["pub"].pk, d=o["delivery"].pk, c=o["channel"].pk)
        assert client.post(url, data).status_code == 403, (role, url)
        checked += 1
    assert checked == sum(not can(role, p) for _, p, _ in WRITES)
    # Nothing was written by a refused request.
    assert not AuditEvent.objects.filter(actor=members[role].user).exists()


def test_audit_page_needs_view_audit(client, members):
    for role in Role:
        client.force_login(members[role].user)
        expected = 200 if can(role, Permission.VIEW_AUDIT) else 403
        assert client.get("/a/arras/journal/").status_code == expected, role


def test_forbidden_page_is_french(client, members):
    client.force_login(members[Role.VIEWER].user)
    r = client.get("/a/arras/journal/")
    assert r.status_code == 403 and "Accès refusé" in r.content.decode()


def test_unknown_page_is_french_404(client, members):
    client.force_login(members[Role.VIEWER].user)
    r = client.get("/a/arras/publications/999999/")
    assert r.status_code == 404 and "Page introuvable" in r.content.decode()
