from datetime import timedelta

import pytest
from django.utils import timezone

from parvis.domain.networks import Network
from parvis.domain.roles import Role
from parvis.ops import clock, demo
from parvis.ops.models import RecurringTask
from parvis.organisations.models import Authority
from parvis.publishing.models import Delivery, Publication

pytestmark = pytest.mark.django_db


def test_demo_is_a_real_commune_with_every_network_and_role():
    authority = demo.load()
    assert (authority.name, authority.insee_code, authority.kind) == ("Arras", "62041", "commune")
    assert authority.population > 40_000
    networks = set(authority.channels.values_list("network", flat=True))
    assert networks == set(Network) - {Network.THREADS}
    assert all(authority.channels.values_list("is_sandbox", flat=True))
    assert set(authority.memberships.values_list("role", flat=True)) == set(Role)
    now = timezone.now()
    assert Publication.objects.filter(authority=authority, scheduled_at__lt=now, status="published").exists()
    assert Delivery.objects.filter(authority=authority, due_at__gt=now, state="scheduled").exists()


def test_loading_the_demo_twice_changes_nothing():
    demo.load()
    counts = (Authority.objects.count(), Publication.objects.count(), Delivery.objects.count())
    demo.load()
    assert (Authority.objects.count(), Publication.objects.count(), Delivery.objects.count()) == counts


def test_the_clock_enqueues_each_due_task_once_per_period(monkeypatch):
    enqueued = []

    class FakeTask:
        def __init__(self, path):
            self.path = path

        def enqueue(self):
            enqueued.append(self.path.rsplit(".", 1)[-1])

    monkeypatch.setattr(clock, "import_string", FakeTask)
    clock.ensure_default_schedule()
    now = timezone.now() + timedelta(seconds=1)
    first = sorted(clock.tick(now))
    assert first == sorted(name for name, _, _ in clock.DEFAULT_SCHEDULE)
    assert clock.tick(now) == []  # a second clock at the same instant enqueues nothing
    assert clock.tick(now + timedelta(seconds=31)) == ["sweep-deliveries"]  # the only one due every 30 s
    assert enqueued.count("sweep_deliveries") == 2 and enqueued.count("prune_task_results") == 1
    assert RecurringTask.objects.get(name="sweep-deliveries").next_run_at > now


def test_every_demo_variant_passes_its_networks_rules():
    from parvis.publishing.actions import variant_problems

    demo.load()
    errors = [
        (pub.title, problem.message)
        for pub in Publication.objects.all()
        for problems in variant_problems(pub).values()
        for problem in problems
        if problem.severity == "error"
    ]
    assert errors == []
