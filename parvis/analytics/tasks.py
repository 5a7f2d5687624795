"""Background entry points of the measures. The clock runs the planners hourly; they enqueue one task per
channel at its time of the night, and the monthly reports on the 2nd."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

log = logging.getLogger("parvis.analytics")


@task()
def collect_channel_metrics(channel_id: int, scope: str = "nightly") -> dict:
    """One channel. On a rate limit it enqueues itself again for when the network allows it."""
    from . import collect

    outcome = collect.collect_channel(channel_id, scope=scope)
    if outcome.rate_limited_until is not None:
        collect_channel_metrics.using(run_after=outcome.rate_limited_until).enqueue(channel_id, scope)
    return outcome.as_dict()


@task()
def plan_collection() -> int:
    """Plan tonight's collection: each active channel once per night, spread over 01:00–05:00 local."""
    from . import collect

    now = timezone.now()
    by_night: dict[tuple, list] = {}
    for channel in collect.channels_to_collect():
        tz = channel.authority.tz
        by_night.setdefault((collect.next_night(now, tz), channel.authority.timezone), []).append(channel)
    planned = 0
    for (night, _tz_name), channels in by_night.items():
        plan = collect.night_plan([(c.id, c.network) for c in channels], night, channels[0].authority.tz)
        for c in channels:
            if collect.claim_night(c.id, night):
                collect_channel_metrics.using(run_after=max(plan[c.id], now)).enqueue(c.id, "nightly")
                planned += 1
    return planned


@task()
def collect_fresh_posts() -> int:
    """Hourly figures of the publications of the last 48 hours (only channels that have any)."""
    from parvis.publishing.models import Delivery

    from . import collect

    since = timezone.now() - timedelta(hours=collect.INTRADAY_HOURS)
    ids = set(Delivery.objects.filter(state="published", published_at__gt=since, channel__status="active")
              .exclude(remote_id="").values_list("channel_id", flat=True))
    for cid in sorted(ids):
        collect_channel_metrics.enqueue(cid, "fresh")
    return len(ids)


@task()
def send_monthly_reports() -> int:
    """From the 2nd of the month (local time), each authority's report of last month, once."""
    from . import reports

    return reports.send_due_reports(timezone.now())


@task()
def send_monthly_report(authority_id: int, month: str) -> int:
    from parvis.organisations.models import Authority

    from . import reports

    return reports.send_report(Authority.objects.get(pk=authority_id), month)
