"""Happy paths of every route, and the approval flow as an integration would drive it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from parvis.domain.roles import Role
from parvis.domain.states import DeliveryState
from parvis.publishing.models import ApprovalDecision, ApprovalRule, Delivery, Publication
from tests.factories import ChannelFactory, one_level_rule

from .conftest import later

R = Role


def _create(api, channel, **extra):
    body = {"title": "Fête de la musique", "body": "Concerts place des Héros.", "channels": [channel.id],
            "scheduled_at": later(), **extra}
    response = api.post("/publications", body)
    assert response.status_code == 201, response.content
    return response.json()


# --- Authorities ------------------------------------------------------------------------------------


def test_authorities_lists_only_mine_with_my_role(as_role, members, outsider):
    response = as_role(R.CONTRIBUTOR).client.get("/api/v1/authorities")
    assert response.status_code == 200
    [authority] = response.json()
    assert authority["slug"] == members[R.CONTRIBUTOR].authority.slug
    assert authority["role"] == "contributor"
    assert "submit" in authority["permissions"] and "approve" not in authority["permissions"]


def test_authority_detail_gives_its_time_zone(as_role, members):
    data = as_role(R.VIEWER).get("").json()
    assert data["timezone"] == "Europe/Paris" and data["permissions"] == ["view"]


# --- Channels ---------------------------------------------------------------------------------------


def test_channels_list_only_this_authority(as_role, channel, outsider):
    ChannelFactory(handle="ailleurs")  # another authority's
    handles = [c["handle"] for c in as_role(R.VIEWER).get("/channels").json()]
    assert handles == [channel.handle]
    assert "credentials" not in as_role(R.VIEWER).get(f"/channels/{channel.id}").json()


def test_create_channel_then_edit_editorial_line(as_role):
    api = as_role(R.COMMUNITY_MANAGER)
    created = api.post("/channels", {"network": "bluesky", "handle": "ville.bsky.social", "is_sandbox": True,
                                     "tone": "chaleureux", "slots": [{"weekday": 0, "time": "09:30"}]})
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert created.json()["network_label"] and created.json()["slots"] == [{"weekday": 0, "time": "09:30"}]
    edited = api.patch(f"/channels/{cid}", {"audience": "familles", "themes": ["culture", "sport"]})
    assert edited.status_code == 200
    data = api.get(f"/channels/{cid}").json()
    assert (data["audience"], data["themes"], data["tone"]) == ("familles", ["culture", "sport"], "chaleureux")


@pytest.mark.parametrize(("body", "field"), [
    ({"network": "myspace", "handle": "x"}, "network"),
    ({"network": "mastodon"}, "handle"),
    ({"network": "mastodon", "handle": "   "}, "handle"),
    ({"network": "mastodon", "handle": "x", "slots": [{"weekday": 9, "time": "09:30"}]}, "slots.0.weekday"),
    ({"network": "mastodon", "handle": "x", "slots": [{"weekday": 1, "time": "25:99"}]}, "slots"),
    ({"network": "mastodon", "handle": "x", "target_posts_per_week": -1}, "target_posts_per_week"),
    ({"network": "mastodon", "handle": "x", "tone": None}, "tone"),
    ({"network": "mastodon", "handle": "x", "tones": "chaleureux"}, "tones"),  # typo: not ignored
])
def test_create_channel_bad_input_422_names_field(as_role, body, field):
    response = as_role(R.DIRECTOR).post("/channels", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


def test_duplicate_channel_422(as_role, channel):
    response = as_role(R.DIRECTOR).post("/channels", {"network": channel.network, "handle": channel.handle})
    assert response.status_code == 422 and "handle" in response.json()["errors"]


def test_patch_channel_bad_slots_422(as_role, channel):
    response = as_role(R.DIRECTOR).patch(f"/channels/{channel.id}", {"slots": [{"weekday": 0, "time": "9h"}]})
    assert response.status_code == 422 and "slots" in response.json()["errors"]


def test_objects_of_another_authority_are_404_under_my_slug(as_role, members):
    other = ChannelFactory()  # another authority
    pub = Publication.objects.create(authority=other.authority, title="Ailleurs")
    delivery = Delivery.objects.create(publication=pub, channel=other, authority=other.authority,
                                       state=DeliveryState.FAILED, due_at=timezone.now(), run_after=timezone.now())
    api = as_role(R.DIRECTOR)
    assert api.get(f"/channels/{other.id}").status_code == 404
    assert api.patch(f"/channels/{other.id}", {"tone": "x"}).status_code == 404
    assert api.get(f"/publications/{pub.id}").status_code == 404
    assert api.post(f"/publications/{pub.id}/cancel").status_code == 404
    assert api.post(f"/deliveries/{delivery.id}/retry").status_code == 404
    assert api.post("/publications", {"title": "x", "channels": [other.id]}).status_code == 422
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.FAILED


def test_unknown_channel_404(as_role):
    assert as_role(R.DIRECTOR).get("/channels/424242").status_code == 404


# --- Publications -----------------------------------------------------------------------------------


def test_create_gives_variants_with_counted_length_and_problems(as_role, members):
    authority = members[R.DIRECTOR].authority
    bluesky = ChannelFactory(authority=authority, network="bluesky")
    mastodon = ChannelFactory(authority=authority, network="mastodon")
    text = "é" * 310  # too long for Bluesky (300 graphemes), fine for Mastodon (500)
    data = _create(as_role(R.CONTRIBUTOR), bluesky, body=text, channels=[bluesky.id, mastodon.id])
    variants = {v["network"]: v for v in data["variants"]}
    assert variants["bluesky"]["length"] == 310 and variants["bluesky"]["max_length"] == 300
    assert "text_too_long" in [p["code"] for p in variants["bluesky"]["problems"]]
    assert not [p for p in variants["mastodon"]["problems"] if p["severity"] == "error"]
    assert data["status"] == "draft" and data["created_by"] == members[R.CONTRIBUTOR].user.username
    assert data["scheduled_at"].endswith("Z")


def test_create_converts_offset_to_utc(as_role, channel):
    when = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
    local = when.astimezone(timezone.get_fixed_timezone(120)).isoformat()
    data = _create(as_role(R.DIRECTOR), channel, scheduled_at=local)
    assert data["scheduled_at"] == when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_create_with_hand_edited_variant(as_role, channel):
    data = _create(as_role(R.DIRECTOR), channel, variant_texts={str(channel.id): "Texte pour Mastodon."})
    [variant] = data["variants"]
    assert variant["text"] == "Texte pour Mastodon." and variant["edited"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "", "channels": ["{c}"]}, "title"),
    ({"title": "x" * 201, "channels": ["{c}"]}, "title"),
    ({"title": "x", "channels": []}, "channels"),
    ({"title": "x", "channels": [424242]}, "channels"),
    ({"title": "x", "channels": ["{c}"], "media": [424242]}, "media"),
    ({"title": "x", "channels": ["{c}"], "scheduled_at": "2030-05-01T10:00:00"}, "scheduled_at"),
    ({"title": "x", "channels": ["{c}"], "scheduled_at": "demain"}, "scheduled_at"),
    ({"title": "x", "channels": ["{c}"], "scheduled_at": "2020-05-01T10:00:00Z"}, "scheduled_at"),
    ({"title": "x", "channels": ["{c}"], "schedule_mode": "bientot"}, "schedule_mode"),
    ({"title": "x", "channels": ["{c}"], "link": "pas une adresse"}, "link"),
    ({"title": "x", "channels": ["{c}"], "body": "a\x00b"}, "body"),
    ({"title": "x", "channels": "{c}"}, "channels"),
])
def test_create_publication_bad_input_422_names_field(as_role, channel, body, field):
    body = {k: ([channel.id if v == "{c}" else v for v in val] if isinstance(val, list) else
                (channel.id if val == "{c}" else val)) for k, val in ((k, v) for k, v in body.items())}
    response = as_role(R.DIRECTOR).post("/publications", body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])
    assert not Publication.objects.exists()


def test_list_publications_filters_and_pages(as_role, members, channel):
    api = as_role(R.DIRECTOR)
    other = ChannelFactory(authority=members[R.DIRECTOR].authority)
    soon = _create(api, channel, scheduled_at=later(1))
    far = _create(api, other, scheduled_at=later(20))
    api.post(f"/publications/{far['id']}/cancel")
    ids = lambda r: [p["id"] for p in r.json()["items"]]  # noqa: E731
    assert ids(api.get("/publications")) == [far["id"], soon["id"]]
    assert ids(api.get("/publications", status="cancelled")) == [far["id"]]
    assert ids(api.get("/publications", channel=channel.id)) == [soon["id"]]
    assert ids(api.get("/publications", **{"from": later(10)})) == [far["id"]]
    assert ids(api.get("/publications", to=later(10))) == [soon["id"]]
    page = api.get("/publications", page=2, page_size=1).json()
    assert (page["count"], page["page"], [p["id"] for p in page["items"]]) == (2, 2, [soon["id"]])
    bad = api.get("/publications", **{"from": later(10), "to": later(5)})
    assert bad.status_code == 422 and "to" in bad.json()["errors"]


def test_patch_publication_changes_only_given_fields(as_role, channel):
    api = as_role(R.CONTRIBUTOR)
    pub = _create(api, channel)
    response = api.patch(f"/publications/{pub['id']}", {"body": "Nouveau programme."})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["body"] == "Nouveau programme." and data["title"] == pub["title"]
    assert data["variants"][0]["text"].startswith("Nouveau programme.")
    assert data["scheduled_at"] == pub["scheduled_at"]
    cleared = api.patch(f"/publications/{pub['id']}", {"scheduled_at": None}).json()
    assert cleared["scheduled_at"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"title": None}, "title"),
    ({"channels": []}, "channels"),
    ({"scheduled_at": "2030-01-01 10:00"}, "scheduled_at"),
    ({"variant_texts": {"abc": "x"}}, "variant_texts.abc"),
])
def test_patch_publication_bad_input_422(as_role, channel, body, field):
    pub = _create(as_role(R.DIRECTOR), channel)
    response = as_role(R.DIRECTOR).patch(f"/publications/{pub['id']}", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


def test_unknown_publication_404(as_role):
    assert as_role(R.DIRECTOR).get("/publications/424242").status_code == 404


# --- Approval ---------------------------------------------------------------------------------------


def test_full_flow_contributor_submits_director_approves_deliveries_scheduled(as_role, members, channel):
    one_level_rule(members[R.DIRECTOR].authority)
    intern, director = as_role(R.CONTRIBUTOR), as_role(R.DIRECTOR)
    pub = _create(intern, channel)
    submitted = intern.post(f"/publications/{pub['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "in_review" and submitted.json()["approval_levels_required"] == 1
    assert intern.post(f"/publications/{pub['id']}/approve", {}).status_code == 403
    assert intern.post(f"/publications/{pub['id']}/cancel").status_code == 403
    approved = director.post(f"/publications/{pub['id']}/approve", {"comment": "Parfait."})
    assert approved.status_code == 200, approved.content
    data = approved.json()
    assert data["status"] == "approved"
    [delivery] = data["deliveries"]
    assert delivery["state"] == "scheduled" and delivery["channel_id"] == channel.id
    assert delivery["due_at"] == pub["scheduled_at"]
    assert Delivery.objects.get().state == DeliveryState.SCHEDULED
    assert [d["decision"] for d in data["decisions"]] == ["approve"]


def test_an_official_named_in_the_rule_approves_whatever_their_role(as_role, members, channel):
    authority = members[R.DIRECTOR].authority
    official = members[R.VIEWER]
    ApprovalRule.objects.create(authority=authority, levels=[{"roles": [], "users": [official.user_id]}])
    pub = _create(as_role(R.CONTRIBUTOR), channel)
    as_role(R.CONTRIBUTOR).post(f"/publications/{pub['id']}/submit")
    assert as_role(R.REVIEWER).post(f"/publications/{pub['id']}/approve").status_code == 403  # not listed
    response = as_role(R.VIEWER).post(f"/publications/{pub['id']}/approve")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"


def test_author_cannot_approve_own_publication(as_role, members, channel):
    one_level_rule(members[R.DIRECTOR].authority)
    director = as_role(R.DIRECTOR)
    pub = _create(director, channel)
    director.post(f"/publications/{pub['id']}/submit")
    response = director.post(f"/publications/{pub['id']}/approve")
    assert response.status_code == 403
    assert "propre publication" in response.json()["detail"]
    assert Publication.objects.get(pk=pub["id"]).status == "in_review"


def test_without_rule_submit_schedules_at_once(as_role, channel):
    api = as_role(R.COMMUNITY_MANAGER)
    pub = _create(api, channel)
    data = api.post(f"/publications/{pub['id']}/submit").json()
    assert data["status"] == "approved" and [d["state"] for d in data["deliveries"]] == ["scheduled"]


def test_submit_twice_422(as_role, members, channel):
    one_level_rule(members[R.DIRECTOR].authority)
    api = as_role(R.CONTRIBUTOR)
    pub = _create(api, channel)
    api.post(f"/publications/{pub['id']}/submit")
    again = api.post(f"/publications/{pub['id']}/submit")
    assert again.status_code == 422 and "status" in again.json()["errors"]


def test_submit_with_too_long_variant_422(as_role, members):
    bluesky = ChannelFactory(authority=members[R.DIRECTOR].authority, network="bluesky")
    api = as_role(R.CONTRIBUTOR)
    pub = _create(api, bluesky, body="x" * 400)
    response = api.post(f"/publications/{pub['id']}/submit")
    assert response.status_code == 422 and "variants" in response.json()["errors"]


def test_reject_needs_comment_then_back_to_draft(as_role, members, channel):
    one_level_rule(members[R.DIRECTOR].authority)
    pub = _create(as_role(R.CONTRIBUTOR), channel)
    as_role(R.CONTRIBUTOR).post(f"/publications/{pub['id']}/submit")
    reviewer = as_role(R.REVIEWER)
    for body in ({}, {"comment": ""}, {"comment": "   "}):
        response = reviewer.post(f"/publications/{pub['id']}/reject", body)
        assert response.status_code == 422, body
        assert "comment" in response.json()["errors"]
    response = reviewer.post(f"/publications/{pub['id']}/reject", {"comment": "Mauvaise date."})
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert response.json()["decisions"][-1]["comment"] == "Mauvaise date."


def test_approve_a_draft_422(as_role, channel):
    pub = _create(as_role(R.CONTRIBUTOR), channel)
    response = as_role(R.REVIEWER).post(f"/publications/{pub['id']}/approve")
    assert response.status_code == 422 and "status" in response.json()["errors"]


def test_comment(as_role, channel):
    pub = _create(as_role(R.DIRECTOR), channel)
    response = as_role(R.CONTRIBUTOR).post(f"/publications/{pub['id']}/comment", {"comment": "Photo ?"})
    assert response.status_code == 200
    assert ApprovalDecision.objects.get().comment == "Photo ?"
    assert as_role(R.CONTRIBUTOR).post(f"/publications/{pub['id']}/comment", {}).status_code == 422


# --- Schedule and cancel ----------------------------------------------------------------------------


def test_schedule_mode_and_time(as_role, channel):
    api = as_role(R.COMMUNITY_MANAGER)
    pub = _create(api, channel)
    data = api.post(f"/publications/{pub['id']}/schedule", {"schedule_mode": "next_slot"}).json()
    assert data["schedule_mode"] == "next_slot"
    new_time = later(5)
    data = api.post(f"/publications/{pub['id']}/schedule", {"scheduled_at": new_time}).json()
    assert data["schedule_mode"] == "at"
    assert data["scheduled_at"] == datetime.fromisoformat(new_time).astimezone(
        UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_rescheduling_an_approved_publication_leaves_approval_to_the_rules(as_role, members, channel):
    one_level_rule(members[R.DIRECTOR].authority)
    pub = _create(as_role(R.CONTRIBUTOR), channel)
    as_role(R.CONTRIBUTOR).post(f"/publications/{pub['id']}/submit")
    as_role(R.DIRECTOR).post(f"/publications/{pub['id']}/approve")
    data = as_role(R.COMMUNITY_MANAGER).post(f"/publications/{pub['id']}/schedule",
                                             {"scheduled_at": later(6)}).json()
    assert data["status"] == "draft"  # a new time needs a new approval
    assert [d["state"] for d in data["deliveries"]] == ["cancelled"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "scheduled_at"),
    ({"scheduled_at": "2030-01-01T10:00:00"}, "scheduled_at"),
    ({"schedule_mode": "jamais"}, "schedule_mode"),
    ({"scheduled_at": "2001-01-01T10:00:00Z"}, "scheduled_at"),
])
def test_schedule_bad_input_422(as_role, channel, body, field):
    pub = _create(as_role(R.DIRECTOR), channel)
    response = as_role(R.DIRECTOR).post(f"/publications/{pub['id']}/schedule", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


def test_cancel_cancels_deliveries_and_twice_is_409(as_role, channel):
    api = as_role(R.DIRECTOR)
    pub = _create(api, channel)
    api.post(f"/publications/{pub['id']}/submit")
    data = api.post(f"/publications/{pub['id']}/cancel").json()
    assert data["status"] == "cancelled" and [d["state"] for d in data["deliveries"]] == ["cancelled"]
    again = api.post(f"/publications/{pub['id']}/cancel")
    assert again.status_code == 409 and "detail" in again.json()


# --- Deliveries -------------------------------------------------------------------------------------


@pytest.fixture
def ledger(members, channel):
    authority = members[R.DIRECTOR].authority
    now = timezone.now()

    def row(state, days, ch=channel):
        pub = Publication.objects.create(authority=authority, title=f"Pub {state}", status="approved")
        return Delivery.objects.create(publication=pub, channel=ch, authority=authority, state=state,
                                       due_at=now + timedelta(days=days), run_after=now + timedelta(days=days))

    return {
        "failed": row(DeliveryState.FAILED, -1),
        "unconfirmed": row(DeliveryState.UNCONFIRMED, -2),
        "scheduled": row(DeliveryState.SCHEDULED, 3, ChannelFactory(authority=authority)),
    }


def test_list_deliveries_filters(as_role, ledger, channel):
    api = as_role(R.VIEWER)
    ids = lambda r: [d["id"] for d in r.json()["items"]]  # noqa: E731
    assert ids(api.get("/deliveries")) == [ledger[k].id for k in ("scheduled", "failed", "unconfirmed")]
    assert ids(api.get("/deliveries", state="failed")) == [ledger["failed"].id]
    assert ids(api.get("/deliveries", channel=channel.id)) == [ledger["failed"].id, ledger["unconfirmed"].id]
    assert ids(api.get("/deliveries", **{"from": later(1)})) == [ledger["scheduled"].id]
    assert ids(api.get("/deliveries", to=later(0))) == [ledger["failed"].id, ledger["unconfirmed"].id]
    bad = api.get("/deliveries", state="perdu")
    assert bad.status_code == 422 and "state" in bad.json()["errors"]


def test_get_delivery(as_role, ledger):
    data = as_role(R.VIEWER).get(f"/deliveries/{ledger['failed'].id}").json()
    assert data["state"] == "failed" and data["publication_title"] == "Pub failed" and data["due_at"].endswith("Z")
    assert as_role(R.VIEWER).get("/deliveries/424242").status_code == 404


def test_retry_failed_delivery(as_role, ledger):
    api = as_role(R.COMMUNITY_MANAGER)
    response = api.post(f"/deliveries/{ledger['failed'].id}/retry")
    assert response.status_code == 200 and response.json()["state"] == "scheduled"
    again = api.post(f"/deliveries/{ledger['scheduled'].id}/retry")
    assert again.status_code == 422 and "state" in again.json()["errors"]


def test_resolve_unconfirmed_delivery(as_role, ledger):
    api = as_role(R.COMMUNITY_MANAGER)
    url = f"/deliveries/{ledger['unconfirmed'].id}/resolve"
    bad = api.post(url, {"published": True, "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "url" in bad.json()["errors"]
    missing = api.post(url, {"url": "https://example.org"})
    assert missing.status_code == 422 and "published" in missing.json()["errors"]
    response = api.post(url, {"published": True, "url": "https://mastodon.example/@ville/1"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "published"
    assert response.json()["remote_url"] == "https://mastodon.example/@ville/1"
    again = api.post(url, {"published": True})
    assert again.status_code == 422 and "state" in again.json()["errors"]


# --- Calendar ---------------------------------------------------------------------------------------


def test_calendar_lists_the_range_in_utc_with_the_time_zone_name(as_role, channel, ledger):
    api = as_role(R.VIEWER)
    pub = _create(as_role(R.DIRECTOR), channel, scheduled_at=later(2))
    _create(as_role(R.DIRECTOR), channel, scheduled_at=later(30))  # outside
    data = api.get("/calendar", **{"from": later(0), "to": later(7)}).json()
    assert data["timezone"] == "Europe/Paris"
    assert [p["id"] for p in data["publications"]] == [pub["id"]]
    assert [d["id"] for d in data["deliveries"]] == [ledger["scheduled"].id]
    assert data["from"].endswith("Z") and data["publications"][0]["scheduled_at"].endswith("Z")


@pytest.mark.parametrize(("params", "field"), [
    ({}, "from"),
    ({"from": "2026-01-01T00:00:00Z"}, "to"),
    ({"from": "2026-01-01T00:00:00", "to": "2026-02-01T00:00:00Z"}, "from"),
    ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
    ({"from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"}, "to"),
])
def test_calendar_bad_range_422(as_role, params, field):
    response = as_role(R.VIEWER).get("/calendar", **params)
    assert response.status_code == 422 and field in response.json()["errors"]
