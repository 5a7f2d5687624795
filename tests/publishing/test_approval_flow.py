"""Approval through the actions: levels frozen per round, self-approval refused, edits send it back."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from parvis.domain.roles import Role
from parvis.publishing import actions
from parvis.publishing.models import ApprovalRule
from tests.factories import ChannelFactory, team

pytestmark = pytest.mark.django_db


def _submitted(members, channel):
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(cm, title="Forum de l'emploi", body="Forum de l'emploi le 20 à la Citadelle.",
                                     channel_ids=[channel.id], scheduled_at=timezone.now() + timedelta(days=2))
    return actions.submit(cm, pub)


def test_a_rule_made_stricter_during_review_applies_to_the_next_round_only():
    members = team()
    authority = members[Role.DIRECTOR].authority
    ApprovalRule.objects.create(authority=authority, levels=[{"roles": ["director"], "users": []}])
    channel = ChannelFactory(authority=authority)
    pub = _submitted(members, channel)
    ApprovalRule.objects.filter(authority=authority).update(
        levels=[{"roles": ["director"], "users": []}, {"roles": ["reviewer"], "users": []}])
    pub = actions.decide(members[Role.DIRECTOR], pub, "approve")
    assert pub.status == "approved"  # the round started with one level
    assert pub.deliveries.count() == 1


def test_nobody_approves_their_own_work():
    members = team()
    authority = members[Role.DIRECTOR].authority
    ApprovalRule.objects.create(authority=authority, levels=[{"roles": ["community_manager"], "users": []}])
    pub = _submitted(members, ChannelFactory(authority=authority))
    with pytest.raises(PermissionDenied):
        actions.decide(members[Role.COMMUNITY_MANAGER], pub, "approve")


def test_an_edit_after_approval_sends_it_back_and_cancels_pending_deliveries():
    members = team()
    authority = members[Role.DIRECTOR].authority
    ApprovalRule.objects.create(authority=authority, levels=[{"roles": ["director"], "users": []}])
    pub = _submitted(members, ChannelFactory(authority=authority))
    pub = actions.decide(members[Role.DIRECTOR], pub, "approve")
    assert pub.deliveries.get().state == "scheduled"
    pub = actions.update_publication(members[Role.COMMUNITY_MANAGER], pub, body="Forum de l'emploi le 21 !")
    assert pub.status == "draft"
    assert pub.deliveries.get().state == "cancelled"
    pub = actions.submit(members[Role.COMMUNITY_MANAGER], pub)
    pub = actions.decide(members[Role.DIRECTOR], pub, "approve")
    assert pub.deliveries.get().state == "scheduled"  # the same ledger row, scheduled again


def test_next_free_slot_prefers_the_channels_best_time_within_the_week(monkeypatch):
    from parvis.domain.kpi import Cell, HeatMap

    members = team()
    authority = members[Role.DIRECTOR].authority
    # Monday and Thursday at 09:30 local; Thursday is where this channel's posts engage best.
    channel = ChannelFactory(authority=authority, slots=[{"weekday": 0, "time": "09:30"},
                                                        {"weekday": 3, "time": "09:30"}])
    best = HeatMap(cells={(3, 19): Cell(3, 19, 0.08, 6), (0, 19): Cell(0, 19, 0.01, 6)}, posts=40, too_thin=False)
    monkeypatch.setattr("parvis.analytics.queries.heat_map", lambda ch, now: (best, None))
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(cm, title="Patinoire", body="Nocturne à la patinoire vendredi.",
                                     channel_ids=[channel.id], schedule_mode="next_slot")
    pub = actions.submit(cm, pub)
    due = pub.deliveries.get().due_at.astimezone(authority.tz)
    assert (due.weekday(), due.hour, due.minute) == (3, 9, 30)


def test_next_free_slot_without_enough_history_takes_the_first_free_slot(monkeypatch):
    from parvis.domain.kpi import HeatMap

    members = team()
    authority = members[Role.DIRECTOR].authority
    channel = ChannelFactory(authority=authority, slots=[{"weekday": d, "time": "09:30"} for d in range(7)])
    thin = HeatMap(cells={}, posts=2, too_thin=True, reason_fr="trop peu de publications")
    monkeypatch.setattr("parvis.analytics.queries.heat_map", lambda ch, now: (thin, None))
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.submit(cm, actions.create_publication(cm, title="Info", body="Information pratique.",
                                                        channel_ids=[channel.id], schedule_mode="next_slot"))
    due = pub.deliveries.get().due_at
    assert timedelta(0) < due - timezone.now() <= timedelta(days=1)
