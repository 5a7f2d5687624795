"""`parvis metrics backfill`: past publications measured with a progress bar; limits reported."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from parvis.analytics.models import PostStats
from parvis.networks import errors
from tests.analytics.conftest import FakeConnector, published

pytestmark = pytest.mark.django_db


def test_backfill_measures_past_publications(authority, channels, fake_network, capsys):
    fb = channels["facebook"]
    now = timezone.now()
    for i, days in enumerate((5, 60, 400)):
        published(fb, now - timedelta(days=days), remote_id=f"p{i}")
    fake_network(FakeConnector(account={"followers": 900}, posts={f"p{i}": {"views": 10 * i, "reactions": i}
                                                                  for i in range(3)}, at=now))
    call_command("metrics", "backfill", "--channel", str(fb.pk), "--days", "90")
    out, err = capsys.readouterr()
    assert '"posts": 2' in out and "2/2" in err  # the progress bar ends at 2 of 2
    assert PostStats.objects.count() == 2
    call_command("metrics", "backfill", "--channel", str(fb.pk))
    assert PostStats.objects.count() == 3


def test_backfill_waits_out_a_short_limit_and_stops_on_a_long_one(authority, channels, fake_network, monkeypatch):
    fb = channels["facebook"]
    published(fb, timezone.now() - timedelta(days=3), remote_id="p0")
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)

    class Once(FakeConnector):
        def post_metrics(self, remote_id):
            if not slept:
                raise errors.RateLimited(retry_after_s=2)
            return super().post_metrics(remote_id)

    fake_network(Once(posts={"p0": {"views": 1}}))
    call_command("metrics", "backfill", "--channel", str(fb.pk))
    assert len(slept) == 1 and PostStats.objects.count() == 1
    fake_network(FakeConnector(fail={"p0": errors.RateLimited(retry_after_s=7200)}))
    with pytest.raises(CommandError, match="Limite de débit"):
        call_command("metrics", "backfill", "--channel", str(fb.pk))


def test_unknown_channel_is_refused(db):
    with pytest.raises(CommandError, match="Compte introuvable"):
        call_command("metrics", "backfill", "--channel", "999")
