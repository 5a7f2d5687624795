"""Measure pages with a big history: 3 years of daily figures for 20 channels and 50,000 publications.

    python bench/dashboard.py [--channels 20] [--days 1096] [--publications 50000] [--runs 30]

Builds the history in a temporary SQLite database (as the nightly collection would have written it), then
requests each page in process (server time: URL resolution, views, queries, templates, SVG charts) and
prints one JSON object: p50/p95 milliseconds and the number of SQL queries per page. Goal: p95 ≤ 150 ms
and a number of queries that does not grow with the history.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NETWORKS = ["facebook", "instagram", "x", "linkedin", "youtube", "tiktok", "mastodon", "bluesky", "threads",
            "snapchat"]
# What each network gives (a missing one is absent, as in real life).
ACCOUNT = {"facebook": ("followers", "impressions", "reach", "interactions"),
           "instagram": ("followers", "following", "impressions", "reach", "interactions"),
           "x": ("followers", "following"), "linkedin": ("followers", "impressions"),
           "youtube": ("followers", "impressions", "video_views"), "tiktok": ("followers", "video_views"),
           "mastodon": ("followers", "following"), "bluesky": ("followers", "following"),
           "threads": ("followers", "impressions"), "snapchat": ("followers", "story_views")}
NO_IMPRESSIONS = {"mastodon", "bluesky"}


def progress(text: str, quiet: bool) -> None:
    if not quiet:
        print(text, file=sys.stderr, flush=True)


def build(args, quiet):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from parvis.analytics.models import MetricSnapshot, PostMetricSnapshot, PostStats
    from parvis.channels.models import Channel
    from parvis.organisations.models import Authority, Membership
    from parvis.publishing.models import Delivery, Publication

    rng = random.Random(7)
    authority = Authority.objects.create(slug="arras", name="Arras", kind="commune", population=41_000)
    peer = Authority.objects.create(slug="lens", name="Lens", kind="commune", population=32_000)
    user = get_user_model().objects.create_user("bench", password="x")
    Membership.objects.create(user=user, authority=authority, role="viewer")
    channels = [Channel.objects.create(authority=authority, network=NETWORKS[i % len(NETWORKS)],
                                       handle=f"compte{i}") for i in range(args.channels)]
    Channel.objects.create(authority=peer, network="facebook", handle="lens")
    today = timezone.now().date()
    start = today - timedelta(days=args.days)
    rows = []
    t0 = time.perf_counter()
    for c in channels:
        followers = rng.randint(500, 30_000)
        for d in range(args.days):
            day = start + timedelta(days=d)
            followers += rng.randint(-3, 12)
            at = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
            for metric in ACCOUNT[c.network]:
                value = {"followers": followers, "following": 300, "impressions": followers * rng.uniform(0.2, 1.5),
                         "reach": followers * rng.uniform(0.1, 0.8), "interactions": followers * rng.uniform(0.002, 0.02),
                         "video_views": followers * rng.uniform(0.05, 0.5), "story_views": followers * 0.1}[metric]
                rows.append(MetricSnapshot(channel=c, metric=metric, day=day, value=round(value), collected_at=at))
            if len(rows) > 20_000:
                MetricSnapshot.objects.bulk_create(rows, batch_size=5_000)
                rows = []
    MetricSnapshot.objects.bulk_create(rows, batch_size=5_000)
    progress(f"{MetricSnapshot.objects.count():,} relevés quotidiens en {time.perf_counter() - t0:.1f} s", quiet)

    t0 = time.perf_counter()
    span = args.days * 86400
    now = timezone.now()
    pubs = [Publication(authority=authority, title=f"Publication {i}", status="published",
                        scheduled_at=now - timedelta(seconds=rng.randint(3600, span))) for i in range(args.publications)]
    Publication.objects.bulk_create(pubs, batch_size=5_000)
    deliveries = [Delivery(publication=p, channel=channels[i % len(channels)], authority=authority, due_at=p.scheduled_at,
                           run_after=p.scheduled_at, state="published", published_at=p.scheduled_at,
                           remote_id=f"r{i}") for i, p in enumerate(pubs)]
    Delivery.objects.bulk_create(deliveries, batch_size=5_000)
    stats = []
    for d in deliveries:
        impressions = None if d.channel.network in NO_IMPRESSIONS else rng.randint(100, 20_000)
        interactions = rng.randint(0, 600)
        stats.append(PostStats(delivery=d, authority=authority, channel=d.channel, published_at=d.published_at,
                               values={"likes": interactions}, interactions=interactions, impressions=impressions,
                               reach=impressions and impressions * 0.6, likes=interactions,
                               followers=rng.randint(500, 30_000), updated_at=now))
    PostStats.objects.bulk_create(stats, batch_size=5_000)
    # A publication followed hourly for 48 hours then daily for a month.
    d = deliveries[0]
    snaps = [PostMetricSnapshot(delivery=d, metric="likes", taken_at=d.published_at + timedelta(hours=h), value=h)
             for h in list(range(48)) + list(range(48, 24 * 31, 24))]
    PostMetricSnapshot.objects.bulk_create(snaps)
    progress(f"{len(pubs):,} publications en {time.perf_counter() - t0:.1f} s", quiet)
    return user, authority, channels, deliveries[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--days", type=int, default=1096)
    ap.add_argument("--publications", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = ap.parse_args()
    quiet = args.json

    data_dir = Path(tempfile.mkdtemp(prefix="parvis-bench-"))
    os.environ.update(PARVIS_DATA_DIR=str(data_dir), PARVIS_LOG_LEVEL="ERROR",
                      DJANGO_SETTINGS_MODULE="parvis.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    user, authority, channels, delivery = build(args, quiet)
    month = (timezone.now().date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    pages = {
        "dashboard 30 days": "/a/arras/mesures/",
        "dashboard 365 days": "/a/arras/mesures/?jours=365",
        "channel 30 days": f"/a/arras/mesures/comptes/{channels[0].pk}/",
        "channel 365 days, ranked by engagement per follower":
            f"/a/arras/mesures/comptes/{channels[0].pk}/?jours=365&tri=per_follower",
        "channel without impressions (Mastodon)": f"/a/arras/mesures/comptes/{channels[6].pk}/",
        "publication over time": f"/a/arras/mesures/publications/{delivery.pk}/",
        "monthly report page": f"/a/arras/mesures/rapports/{month}/",
    }
    static = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    results = {}
    with override_settings(STORAGES=static, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(user)
        for name, url in pages.items():
            assert client.get(url).status_code == 200, url  # warm-up: templates, caches of the first hit
            times, queries = [], set()
            for _ in range(args.runs):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    r = client.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, url
                queries.add(len(ctx.captured_queries))
            times.sort()
            results[name] = {"p50_ms": round(statistics.median(times), 1),
                             "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)], 1),
                             "queries": max(queries)}
            progress(f"{name}: {results[name]}", quiet)
        t0 = time.perf_counter()
        pdf = client.get(f"/a/arras/mesures/rapports/{month}/rapport.pdf")
        pdf_ms = (time.perf_counter() - t0) * 1000
    out = {
        "channels": args.channels, "days": args.days, "publications": args.publications, "runs": args.runs,
        "daily_rows": __import__("parvis.analytics.models", fromlist=["x"]).MetricSnapshot.objects.count(),
        "pages": results, "report_pdf_ms": round(pdf_ms, 1), "report_pdf_bytes": len(pdf.content),
        "goal_p95_ms": 150, "goal_met": all(r["p95_ms"] <= 150 for r in results.values()),
        "over_goal": [name for name, r in results.items() if r["p95_ms"] > 150],
    }
    print(json.dumps(out, ensure_ascii=False, indent=None if quiet else 2))


if __name__ == "__main__":
    main()
