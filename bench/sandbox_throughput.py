"""Throughput of the sandbox network: how many publications per second it sustains.

Starts the sandbox server in its own process (unless --url is given), publishes N posts through
SandboxConnector from a thread pool (each request held `--latency-ms` by the server, as a real network
would), and prints the figures as JSON.

    .venv/bin/python bench/sandbox_throughput.py --requests 6000 --concurrency 128 --latency-ms 150
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parvis.networks import errors  # noqa: E402
from parvis.networks.sandbox.connector import SandboxConnector  # noqa: E402
from parvis.networks.sandbox.server import NETWORKS, free_port  # noqa: E402
from parvis.networks.types import Credentials, PostRequest  # noqa: E402


def start_server(latency_ms: float, state_file: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "parvis.networks.sandbox", "--port", str(port), "--state-file", state_file,
         "--latency-ms", str(latency_ms), "--no-daily-limits"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the sandbox did not start")


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux), to report the server's cost per request."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--url", help="use a running sandbox (its latency setting is changed)")
    args = parser.parse_args()

    process = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            url = args.url.rstrip("/")
            httpx.post(f"{url}/_sandbox/config", json={"latency_ms": args.latency_ms, "daily_limits": {
                n: None for n in NETWORKS}}, timeout=5).raise_for_status()
        else:
            process, url = start_server(args.latency_ms, os.path.join(tmp, "bench.sqlite3"))
        connectors = [
            SandboxConnector(network, Credentials(f"bench-{i}", {"access_token": "bench"}), base_url=url, timeout=20)
            for i, network in enumerate(NETWORKS)
        ]
        durations: list[float] = []
        failures: dict[str, int] = {}

        def publish(i: int) -> None:
            started = time.perf_counter()
            try:
                connectors[i % len(connectors)].publish(PostRequest(f"Message de test n°{i}", uuid.uuid4().hex))
            except errors.NetworkError as exc:
                failures[exc.code] = failures.get(exc.code, 0) + 1
                return
            durations.append(time.perf_counter() - started)

        try:
            with ThreadPoolExecutor(args.concurrency) as pool:  # warm the connection pool first
                list(pool.map(publish, range(args.concurrency)))
                durations.clear()
                server_cpu = cpu_seconds(process.pid if process else None)
                client_cpu = time.process_time()
                started = time.perf_counter()
                list(pool.map(publish, range(args.requests)))
                elapsed = time.perf_counter() - started
                client_cpu = time.process_time() - client_cpu
                if server_cpu is not None:
                    server_cpu = cpu_seconds(process.pid) - server_cpu
            stats = httpx.get(f"{url}/_sandbox/stats", timeout=5).json()
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=10)

    ceiling = args.concurrency / (args.latency_ms / 1000) if args.latency_ms else None
    ms = sorted(d * 1000 for d in durations)
    print(json.dumps({
        "requests": args.requests,
        "concurrency": args.concurrency,
        "latency_ms": args.latency_ms,
        "elapsed_s": round(elapsed, 2),
        "requests_per_second": round(args.requests / elapsed, 1),
        "ceiling_per_second": round(ceiling, 1) if ceiling else None,
        "efficiency": round(args.requests / elapsed / ceiling, 3) if ceiling else None,
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 1) if ms else None,
        "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 1) if ms else None,
        "server_cpu_ms_per_request": round(server_cpu * 1000 / args.requests, 3) if server_cpu else None,
        "client_cpu_ms_per_request": round(client_cpu * 1000 / args.requests, 3),
        "failures": failures,
        "stored_posts": stats["total"],
        "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
