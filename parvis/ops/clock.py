"""The clock: enqueues recurring tasks from RecurringTask rows. Several clocks may run: each due row is
claimed with a conditional UPDATE, so a task is enqueued once per period."""

import logging
import threading
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import RecurringTask

log = logging.getLogger("parvis.clock")

DEFAULT_SCHEDULE = [
    # name, task, every (s)
    ("sweep-deliveries", "parvis.publishing.tasks.sweep_deliveries", 30),
    ("prune-task-results", "parvis.ops.tasks.prune_task_results", 86400),
    ("refresh-tokens", "parvis.channels.tasks.refresh_tokens", 600),
    ("token-expiry-alerts", "parvis.channels.tasks.send_expiry_alerts", 3600),
    ("poll-comments", "parvis.inbox.tasks.poll_all_comments", 120),
    ("moderation-alerts", "parvis.inbox.tasks.send_moderation_alerts", 60),
    ("purge-comments", "parvis.inbox.tasks.purge_expired_comments", 86400),
    ("plan-metrics-collection", "parvis.analytics.tasks.plan_collection", 3600),
    ("fresh-post-metrics", "parvis.analytics.tasks.collect_fresh_posts", 3600),
    ("monthly-reports", "parvis.analytics.tasks.send_monthly_reports", 3600),
]


def ensure_default_schedule() -> None:
    now = timezone.now()
    for name, path, every in DEFAULT_SCHEDULE:
        RecurringTask.objects.get_or_create(
            name=name, defaults={"task_path": path, "every_seconds": every, "next_run_at": now}
        )


def tick(now=None) -> list[str]:
    now = now or timezone.now()
    enqueued = []
    for row in RecurringTask.objects.filter(enabled=True, next_run_at__lte=now):
        nxt = now + timedelta(seconds=row.every_seconds)
        if RecurringTask.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(next_run_at=nxt):
            import_string(row.task_path).enqueue()
            enqueued.append(row.name)
    return enqueued


def run(stop: threading.Event, interval: float = 1.0) -> None:
    ensure_default_schedule()
    while not stop.is_set():
        try:
            tick()
        except Exception:  # noqa: BLE001 — the clock must keep ticking
            log.exception("clock tick failed")
        close_old_connections()
        stop.wait(interval)
