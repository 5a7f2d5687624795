"""The demo's sandbox channels feed the measures: a real sandbox server on loopback, the real connector."""

import pytest
from django.utils import timezone

from parvis.analytics import collect
from parvis.analytics.models import MetricSnapshot, PostStats
from parvis.networks.registry import get_connector
from parvis.networks.types import Credentials, PostRequest
from tests.analytics.conftest import published
from tests.networks.conftest import start_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    server = start_sandbox(str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("PARVIS_SANDBOX_URL", server.url)
    yield server
    server.stop()


def test_sandbox_channels_are_measured(authority, channels, sandbox):
    fb = channels["facebook"]
    connector = get_connector("facebook", Credentials(fb.handle, {"token": "sandbox-token"}), sandbox=True)
    posted = connector.publish(PostRequest(text="Marché de Noël place des Héros", marker="m-1"))
    d = published(fb, timezone.now(), remote_id=posted.remote_id)
    out = collect.collect_channel(fb)
    assert out.error == "" and out.posts == 1
    figures = dict(MetricSnapshot.objects.filter(channel=fb).values_list("metric", "value"))
    assert figures["followers"] > 0 and {"impressions", "reach", "interactions"} <= set(figures)
    stats = PostStats.objects.get(delivery=d)
    assert stats.impressions is not None and stats.interactions is not None
    assert stats.followers == figures["followers"]
