"""The Django admin for the instance's staff: every page loads, the ledger and the audit trail are read only,
secrets never show."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from parvis.audit.actions import record
from parvis.audit.models import AuditEvent
from parvis.domain.roles import Role
from parvis.organisations.models import ApiToken, CalendarFeed
from parvis.publishing.models import (
    ApprovalDecision,
    ApprovalRule,
    Delivery,
    MediaAsset,
    Publication,
    PublicationMedia,
    Variant,
)
from tests.factories import AuthorityFactory, ChannelFactory, UserFactory, team

pytestmark = pytest.mark.django_db

OUR_APPS = ("organisations", "channels", "publishing", "audit")


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def objects(superuser):
    """One row of every model, so that change pages can be opened too."""
    authority = AuthorityFactory(slug="arras", name="Arras")
    members = team(authority)
    channel = ChannelFactory(authority=authority, handle="ville-arras")
    asset = MediaAsset.objects.create(authority=authority, file="media/x.png", original_name="x.png", kind="image",
                                      mime_type="image/png", size_bytes=10, width=1, height=1)
    now = timezone.now()
    pub = Publication.objects.create(authority=authority, title="Braderie", body="Dimanche", status="published",
                                     scheduled_at=now - timedelta(hours=1))
    PublicationMedia.objects.create(publication=pub, asset=asset)
    Variant.objects.create(publication=pub, channel=channel, text="Dimanche")
    delivery = Delivery.objects.create(publication=pub, channel=channel, authority=authority, due_at=now,
                                       run_after=now, state="published", remote_id="42", attempts=1)
    ApprovalRule.objects.create(authority=authority, levels=[{"roles": ["director"], "users": []}])
    ApprovalDecision.objects.create(publication=pub, round=1, level=0, decision="approve",
                                    user=members[Role.DIRECTOR].user)
    ApiToken.issue(members[Role.DIRECTOR].user, "script")
    CalendarFeed.objects.create(membership=members[Role.VIEWER], token="secret-feed-token-123")
    record(authority, members[Role.DIRECTOR].user, "publication.created", pub, after={"title": "Braderie"})
    return {"authority": authority, "members": members, "channel": channel, "pub": pub, "delivery": delivery}


def _url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def test_every_model_of_ours_is_registered():
    missing = [
        m._meta.label for app in OUR_APPS for m in apps.get_app_config(app).get_models()
        if m not in admin.site._registry
    ]
    assert missing == []


def test_every_registered_changelist_add_and_change_page_loads(client, superuser, objects, rf):
    client.force_login(superuser)
    request = rf.get("/admin/")
    request.user = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        r = client.get(_url(model, "changelist"))
        assert r.status_code == 200, model._meta.label
        if model_admin.search_fields:  # a wrong lookup only fails when someone searches
            assert client.get(_url(model, "changelist"), {"q": "arras"}).status_code == 200, model._meta.label
        if model_admin.has_add_permission(request):
            assert client.get(_url(model, "add")).status_code == 200, model._meta.label
        else:
            assert client.get(_url(model, "add")).status_code == 403, model._meta.label
        obj = model._default_manager.first()
        if obj is not None:
            assert client.get(_url(model, "change", obj.pk)).status_code == 200, model._meta.label
        checked += 1
    assert checked >= 12  # our 12 models at least, plus Django's users and groups


def test_staff_without_superuser_rights_sees_nothing_by_default(client, objects):
    staff = UserFactory(username="staff-sans-droits", is_staff=True)
    client.force_login(staff)
    assert client.get(_url(Delivery, "changelist")).status_code == 403
    client.force_login(objects["members"][Role.DIRECTOR].user)  # not staff at all
    r = client.get(_url(AuditEvent, "changelist"))
    assert r.status_code == 302 and "/admin/login/" in r["Location"]


def test_audit_admin_has_no_add_change_nor_delete(client, superuser, objects, rf):
    request = rf.get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEvent]
    event = AuditEvent.objects.get(verb="publication.created")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    client.force_login(superuser)
    assert client.post(_url(AuditEvent, "add"), {"verb": "faux", "object_type": "x", "object_id": "1"}).status_code \
        == 403
    assert client.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    r = client.post(_url(AuditEvent, "change", event.pk), {"verb": "modifié"})
    assert r.status_code == 403
    page = client.get(_url(AuditEvent, "changelist")).content.decode()
    assert 'name="action"' not in page  # no bulk "delete selected"
    assert AuditEvent.objects.filter(pk=event.pk, verb="publication.created").exists()
    assert AuditEvent.objects.count() == 1


def test_delivery_ledger_is_read_only(client, superuser, objects):
    client.force_login(superuser)
    d = objects["delivery"]
    r = client.get(_url(Delivery, "change", d.pk))
    html = r.content.decode()
    assert r.status_code == 200 and 'name="state"' not in html and 'name="remote_id"' not in html
    assert client.post(_url(Delivery, "change", d.pk), {"state": "scheduled", "remote_id": ""}).status_code == 403
    assert client.post(_url(Delivery, "delete", d.pk), {"post": "yes"}).status_code == 403
    d.refresh_from_db()
    assert d.state == "published" and d.remote_id == "42"


def test_a_published_publication_cannot_be_deleted_but_a_draft_can(client, superuser, objects):
    client.force_login(superuser)
    pub = objects["pub"]
    client.post(_url(Publication, "delete", pub.pk), {"post": "yes"})
    assert Publication.objects.filter(pk=pub.pk).exists() and Delivery.objects.filter(publication=pub).exists()
    draft = Publication.objects.create(authority=objects["authority"], title="Brouillon")
    Variant.objects.create(publication=draft, channel=objects["channel"], text="x")
    r = client.post(_url(Publication, "delete", draft.pk), {"post": "yes"})
    assert r.status_code == 302 and not Publication.objects.filter(pk=draft.pk).exists()


def test_channel_credentials_are_never_shown(client, superuser, objects):
    client.force_login(superuser)
    channel = objects["channel"]
    raw = bytes(channel.credentials)
    for url in (_url(channel.__class__, "change", channel.pk), _url(channel.__class__, "changelist")):
        html = client.get(url).content.decode()
        assert 'name="credentials"' not in html and "identifiants chiffrés" not in html.lower()
        assert raw.decode()[:40] not in html and "sandbox-token" not in html  # neither ciphertext nor clear
    # Saving the form keeps them: they are not part of it.
    r = client.post(_url(channel.__class__, "change", channel.pk), {
        "authority": channel.authority_id, "network": "mastodon", "handle": "ville-arras", "display_name": "Arras",
        "account_kind": "institutional", "is_sandbox": "on", "status": "active", "audience": "", "tone": "",
        "themes": "[]", "slots": "[]", "target_posts_per_week": "3",
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.display_name == "Arras" and bytes(channel.credentials) == raw


def test_secrets_of_tokens_and_feeds_are_not_shown(client, superuser, objects):
    client.force_login(superuser)
    token = ApiToken.objects.get()
    feed = CalendarFeed.objects.get()
    html = client.get(_url(ApiToken, "change", token.pk)).content.decode()
    assert token.digest not in html and token.prefix in html
    html = client.get(_url(CalendarFeed, "change", feed.pk)).content.decode()
    html += client.get(_url(CalendarFeed, "changelist")).content.decode()
    assert "secret-feed-token-123" not in html
    # Revoking is deleting.
    assert client.post(_url(CalendarFeed, "delete", feed.pk), {"post": "yes"}).status_code == 302
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("levels, message", [
    ('[{"roles": ["contributor"]}]', "ne peut pas approuver"),
    ('[{"roles": ["director"]}, {"roles": ["director"]}, {"roles": ["director"]}, {"roles": ["director"]}]',
     "c'est trop"),
    ('[{"roles": []}]', "niveau vide"),
])
def test_approval_rule_levels_are_validated(client, superuser, objects, levels, message):
    client.force_login(superuser)
    ApprovalRule.objects.all().delete()
    r = client.post(_url(ApprovalRule, "add"), {"authority": objects["authority"].pk, "levels": levels})
    assert r.status_code == 200 and message in r.content.decode().replace("&#x27;", "'")
    assert not ApprovalRule.objects.exists()


def test_approval_rule_for_a_channel_of_another_authority_is_refused(client, superuser, objects):
    client.force_login(superuser)
    lens = AuthorityFactory(slug="lens")
    r = client.post(_url(ApprovalRule, "add"), {"authority": lens.pk, "channel": objects["channel"].pk,
                                                "levels": '[{"roles": ["reviewer"], "users": []}]'})
    assert r.status_code == 200 and "appartient à une autre collectivité" in r.content.decode()
    r = client.post(_url(ApprovalRule, "add"), {"authority": objects["authority"].pk,
                                                "channel": objects["channel"].pk,
                                                "levels": '[{"users": [3], "roles": ["reviewer"]}]'})
    assert r.status_code == 302
    rule = ApprovalRule.objects.get(channel=objects["channel"])
    assert rule.levels == [{"roles": ["reviewer"], "users": [3]}]


def test_staff_adds_a_director_to_an_authority_from_the_admin(client, superuser, objects):
    client.force_login(superuser)
    newcomer = UserFactory(username="nouvelle-direction")
    r = client.post(_url(get_user_model().memberships.rel.related_model, "add"),
                    {"user": newcomer.pk, "authority": objects["authority"].pk, "role": "director"})
    assert r.status_code == 302
    assert newcomer.memberships.get().role == Role.DIRECTOR
