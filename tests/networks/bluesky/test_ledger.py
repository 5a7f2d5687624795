"""The ledger with the real Bluesky connector: a timeout after the PDS accepted never makes two posts."""

from datetime import timedelta
from functools import partial

import httpx
import pytest
from django.utils import timezone

from parvis.channels.crypto import encrypt
from parvis.domain.roles import Role
from parvis.domain.states import DeliveryState as S
from parvis.networks import registry
from parvis.networks.bluesky import connector as bsky
from parvis.publishing import actions, dispatch
from parvis.publishing.models import Delivery
from tests.factories import ChannelFactory, team

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "Collecte des sapins samedi 10 janvier, place de l'Hôtel de Ville 🎄"


class LoseAnswersAfterSending:
    """Wraps the pooled client: createRecord reaches the PDS, then the answer is lost (a read timeout)."""

    def __init__(self, real: httpx.Client, times: int):
        self.real, self.times = real, times

    def __getattr__(self, name):
        return getattr(self.real, name)

    def request(self, method, url, **kwargs):
        response = self.real.request(method, url, **kwargs)
        if str(url).endswith("/com.atproto.repo.createRecord") and self.times > 0:
            self.times -= 1
            raise httpx.ReadTimeout("timed out", request=response.request)
        return response


@pytest.fixture
def bluesky_channel(bsky_network, monkeypatch):
    # The PDS of the test network is on loopback, which production refuses (SSRF guard).
    monkeypatch.setitem(registry.CONNECTORS, "bluesky", partial(bsky.BlueskyConnector, allow_loopback=True))
    account = bsky_network.create_account("commune")
    members = team()
    channel = ChannelFactory(
        authority=members[Role.DIRECTOR].authority, network="bluesky", is_sandbox=False,
        handle=account["handle"], instance_url=bsky_network.pds,
        credentials=encrypt({"app_password": account["password"]}),
    )
    cm = members[Role.COMMUNITY_MANAGER]
    pub = actions.create_publication(cm, title="Sapins", body=BODY, channel_ids=[channel.id],
                                     scheduled_at=timezone.now() + timedelta(seconds=1))
    actions.submit(cm, pub)
    Delivery.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    return account


def _dispatch_once() -> None:
    ids = dispatch.claim_due(now=timezone.now(), owner="w1", limit=10)
    jobs, broken = dispatch.build_jobs(ids)
    assert not broken
    dispatch.record_outcomes([dispatch.execute(job) for job in jobs])


def test_timeout_after_the_pds_accepted_is_reconciled_by_rkey_never_two_posts(bsky_network, bluesky_channel,
                                                                             monkeypatch):
    lossy = LoseAnswersAfterSending(bsky.shared_client(), times=1)
    monkeypatch.setattr(bsky, "shared_client", lambda: lossy)
    _dispatch_once()
    delivery = Delivery.objects.get()
    assert delivery.state == S.UNCONFIRMED and delivery.error_code == "outcome_unknown"

    counts = dispatch.sweep(now=timezone.now() + timedelta(seconds=10))
    assert counts["found"] == 1
    delivery = Delivery.objects.get()
    rkey = bsky.rkey_for(str(delivery.marker))
    assert delivery.state == S.PUBLISHED
    assert delivery.remote_id == f"at://{bluesky_channel['did']}/app.bsky.feed.post/{rkey}"
    assert delivery.remote_url == f"https://bsky.app/profile/{bluesky_channel['handle']}/post/{rkey}"
    assert [r["value"]["text"] for r in bsky_network.records(bluesky_channel["did"])] == [BODY]


def test_a_resend_of_an_accepted_post_is_a_duplicate_recorded_as_published(bsky_network, bluesky_channel):
    _dispatch_once()
    first = Delivery.objects.get()
    assert first.state == S.PUBLISHED
    # as if the row had been sent again after a crash: the PDS refuses the same rkey
    Delivery.objects.update(state=S.SCHEDULED, run_after=timezone.now() - timedelta(seconds=1),
                            remote_id="", remote_url="")
    _dispatch_once()
    again = Delivery.objects.get()
    assert again.state == S.PUBLISHED and again.remote_id == first.remote_id
    assert len(bsky_network.records(bluesky_channel["did"])) == 1
