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
