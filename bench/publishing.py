"""Publishing benchmark: N deliveries due at the same instant, on the sandbox network, embedded default.

    python bench/publishing.py --deliveries 10000 --latency-ms 150 --json [--faults] [--workers 1]

Starts a fresh SQLite database, the sandbox network (its own process) and `parvis worker` processes,
makes every delivery due at one instant, and waits until each is published or failed. With --faults the
sandbox answers 10 % "timeout after accepting", 5 % rate limits and 5 % server errors, and the worker is
killed (SIGKILL) twice during the run, then restarted. Prints one JSON object.

`duplicates` counts second sends of one delivery (extra posts, plus sends the sandbox refused because it
already had that marker: most real networks would have published them twice); `lost` counts deliveries that did not end published or
failed, or whose ledger row disagrees with the network.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ["facebook", "instagram", "x", "linkedin", "tiktok", "youtube", "snapchat", "mastodon", "bluesky"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def progress(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deliveries", type=int, default=10000)
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--faults", action="store_true")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="`parvis worker` processes (default: one per core, as `parvis worker` itself starts)")
    ap.add_argument("--concurrency", type=int, default=128, help="network calls in flight per worker")
    ap.add_argument("--authorities", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    ap.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = ap.parse_args()
    quiet = False

    data_dir = Path(tempfile.mkdtemp(prefix="parvis-bench-"))
    port = free_port()
    env = dict(os.environ, PARVIS_DATA_DIR=str(data_dir), PARVIS_TASKS="db",
               PARVIS_SANDBOX_URL=f"http://127.0.0.1:{port}", PARVIS_NETWORK_TIMEOUT="2",
               PARVIS_DISPATCH_LEASE_SECONDS="5", PARVIS_DISPATCH_CONCURRENCY=str(args.concurrency),
               PARVIS_LOG_LEVEL="ERROR")
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "parvis.config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from parvis.channels.crypto import encrypt
    from parvis.channels.models import Channel
    from parvis.organisations.models import Authority
    from parvis.publishing.models import Delivery, Publication, Variant

    call_command("migrate", verbosity=0)
    progress(f"Données : {data_dir}", quiet)

    sandbox = subprocess.Popen([sys.executable, "-m", "parvis.networks.sandbox", "--port", str(port),
                                "--state-file", str(data_dir / "sandbox.sqlite3")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    config = {"latency_ms": args.latency_ms, "seed": 42, "daily_limits": {"instagram": None, "threads": None},
              "fault_rates": {"timeout_after_accept": 0.10, "rate_limit": 0.05, "server_error": 0.05}
              if args.faults else {}, "rate_limit_retry_after_s": 2, "timeout_hold_s": 3}
    httpx.post(base + "/_sandbox/config", json=config, timeout=5).raise_for_status()

    # The ledger: N deliveries over many authorities and channels, all due at one future instant.
    far = timezone.now() + timedelta(days=1)
    creds = encrypt({"token": "bench"})
    authorities = Authority.objects.bulk_create(
        [Authority(slug=f"bench-{i}", name=f"Commune {i}", kind="commune", timezone="Europe/Paris")
         for i in range(args.authorities)])
    channels = Channel.objects.bulk_create(
        [Channel(authority=a, network=n, handle=f"{a.slug}-{n}", is_sandbox=True, credentials=creds)
         for a in authorities for n in NETWORKS])
    per_pub = 3
    pubs = Publication.objects.bulk_create(
        [Publication(authority=channels[(i * per_pub) % len(channels)].authority, title=f"Bench {i}",
                     body=f"Information pratique n° {i}", status="approved", scheduled_at=far)
         for i in range((args.deliveries + per_pub - 1) // per_pub)])
    variants, deliveries = [], []
    for i in range(args.deliveries):
        pub = pubs[i // per_pub]
        ch = channels[(i // per_pub * per_pub + i % per_pub) % len(channels)]
        ch = ch if ch.authority_id == pub.authority_id else channels[i % len(channels)]
        variants.append(Variant(publication=pub, channel=ch, text=f"{pub.body} #{i}"))
        deliveries.append(Delivery(publication=pub, channel=ch, authority_id=ch.authority_id, due_at=far,
                                   run_after=far, marker=uuid.uuid4()))
    Variant.objects.bulk_create(variants, batch_size=2000, ignore_conflicts=True)
    Delivery.objects.bulk_create(deliveries, batch_size=2000, ignore_conflicts=True)
    total = Delivery.objects.count()
    progress(f"{total} diffusions sur {len(channels)} comptes de {len(authorities)} collectivités", quiet)

    def start_worker(i: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "parvis.cli", "worker", "--processes", "1", "--worker-id", f"bench-{i}-{time.time():.0f}",
                                 "--task-threads", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    workers = [start_worker(i) for i in range(args.workers)]
    time.sleep(3)  # let the workers import Django before the instant
    due = timezone.now() + timedelta(seconds=1)
    Delivery.objects.update(due_at=due, run_after=due)
    t0 = time.monotonic()
    kills_at = [0.25, 0.5] if args.faults else []
    kills = 0
    final = {"published", "failed"}
    last_line = 0.0
    while time.monotonic() - t0 < args.timeout:
        done = Delivery.objects.filter(state__in=final).count()
        if kills_at and done >= kills_at[0] * total:
            kills_at.pop(0)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            kills += 1
            progress(f"  worker tué (SIGKILL) à {done} diffusions terminées ; redémarrage", quiet)
            workers[0] = start_worker(0)
        if time.monotonic() - last_line > 2:
            progress(f"  {done}/{total} terminées ({time.monotonic() - t0:.0f} s)", quiet)
            last_line = time.monotonic()
        if done == total:
            break
        time.sleep(0.25)
    wall = time.monotonic() - t0
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            w.kill()

    stats = httpx.get(base + "/_sandbox/stats", timeout=30).json()
    posts = httpx.get(base + "/_sandbox/posts", params={"limit": 10 ** 7}, timeout=60).json()
    posts = posts.get("posts", posts) if isinstance(posts, dict) else posts
    sandbox.terminate()
    per_marker: dict[str, int] = {}
    for p in posts:
        per_marker[p["marker"]] = per_marker.get(p["marker"], 0) + 1
    # A second send of one delivery: an extra post, or one the sandbox refused as a known marker
    # (most real networks would have published it twice).
    duplicates = sum(n - 1 for n in per_marker.values() if n > 1) + stats.get("counts", {}).get("duplicate_marker", 0)
    rows = list(Delivery.objects.values_list("marker", "state", "due_at", "published_at"))
    lost = 0
    lateness = []
    for marker, state, due_at, published_at in rows:
        on_network = per_marker.get(str(marker), 0) > 0
        if state not in final or (state == "published") != on_network:
            lost += 1
        if state == "published" and published_at:
            lateness.append((published_at - due_at).total_seconds())
    lateness.sort()

    def pct(p: float) -> float | None:
        return round(lateness[min(len(lateness) - 1, int(p * len(lateness)))], 3) if lateness else None

    result = {
        "deliveries": total, "published": sum(1 for r in rows if r[1] == "published"),
        "failed": sum(1 for r in rows if r[1] == "failed"), "duplicates": duplicates, "lost": lost,
        "lateness_p50_s": pct(0.50), "lateness_p99_s": pct(0.99),
        "lateness_mean_s": round(statistics.mean(lateness), 3) if lateness else None,
        "wall_s": round(wall, 2), "latency_ms": args.latency_ms, "faults": args.faults, "worker_kills": kills,
        "workers": args.workers, "concurrency": args.concurrency, "database": "sqlite",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
