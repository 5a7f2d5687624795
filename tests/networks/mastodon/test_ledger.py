"""The ledger with the real connector: a timeout after Mastodon accepted the status ends as published,
after reconciliation, with exactly one status on the instance."""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone
from mastodon import Mastodon

from parvis.channels.crypto import encrypt
from parvis.domain.roles import Role
from parvis.domain.states import DeliveryState as S
from parvis.networks.mastodon import connector as mastodon_connector
from parvis.publishing import actions, dispatch
from parvis.publishing.models import Delivery
from tests.factories import ChannelFactory, team

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accepted_then_timeout(monkeypatch):
    """The status POST reaches Mastodon and is created; then the answer is lost (read timeout)."""
    posts = []
    original = requests.Session.request

    def request(self, method, url, *args, **kwargs):
        response = original(self, method, url, *args, **kwargs)
        data = kwargs.get("data") or {}
        if method == "POST" and urlsplit(url).path == "/api/v1/statuses" and data.get("status"):
            posts.append(response.status_code)
            raise requests.exceptions.ReadTimeout("HTTPConnectionPool: Read timed out. (read timeout=20)")
        return response

    monkeypatch.setattr(requests.Session, "request", request)
    return posts


def _deliver_once():
    ids = dispatch.claim_due(now=timezone.now(), owner="worker-1", limit=10)
    jobs, broken = dispatch.build_jobs(ids)
    assert not broken
    dispatch.record_outcomes([dispatch.execute(job) for job in jobs])


@pytest.mark.parametrize("lookup", ["idempotency key", "own timeline"])
def test_timeout_after_acceptance_is_reconciled_never_posted_twice(mastodon, accepted_then_timeout, monkeypatch,
                                                                   lookup):
    if lookup == "own timeline":  # the sweep came back after Mastodon forgot the key (1 h)
        monkeypatch.setattr(mastodon_connector.MastodonConnector, "_probe_idempotency_key", lambda self, m: None)
    members = team()
    channel = ChannelFactory(authority=members[Role.DIRECTOR].authority, network="mastodon", is_sandbox=False,
                             handle="ada", instance_url=mastodon.url,
                             credentials=encrypt({"access_token": "ada_token"}))
    body = f"Vœux du maire vendredi à 18 h ({uuid.uuid4().hex[:6]})"
    cm = members[Role.COMMUNITY_MANAGER]
    publication = actions.create_publication(cm, title="Vœux", body=body, channel_ids=[channel.id],
                                             scheduled_at=timezone.now() + timedelta(seconds=1))
    actions.submit(cm, publication)
    Delivery.objects.update(run_after=timezone.now() - timedelta(seconds=1))

    _deliver_once()
    delivery = Delivery.objects.get()
    assert accepted_then_timeout == [200]  # Mastodon did create it
    assert delivery.state == S.UNCONFIRMED and delivery.error_code == "outcome_unknown"

    counts = dispatch.sweep(now=timezone.now() + timedelta(seconds=10))
    delivery.refresh_from_db()
    assert counts["found"] == 1 and delivery.state == S.PUBLISHED
    api = Mastodon(access_token="ada_token", api_base_url=mastodon.url)
    ours = [s for s in api.account_statuses(api.me().id, limit=40) if body.split(" (")[1][:6] in s.content]
    assert len(ours) == 1 and str(ours[0].id) == delivery.remote_id
    assert delivery.remote_url == ours[0].url
    assert accepted_then_timeout == [200]  # reconciliation never re-sent the status
