"""The processes of Parvis, as threads that `parvis serve` / `parvis demo` start together and that
`parvis worker` / `parvis clock` start alone in production."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
from django.conf import settings

log = logging.getLogger("parvis.runtime")


def start_task_workers(stop: threading.Event, count: int = 1) -> list[threading.Thread]:
    """django-tasks-db worker loops (embedded mode) in threads; each thread has its own DB connection."""
    if settings.TASK_MODE != "db":
        return []
    from django_tasks_db.management.commands.db_worker import Worker

    threads = []
    for i in range(count):
        worker = Worker(queue_names=["*"], interval=1.0, batch=False, backend_name="default",
                        startup_delay=False, max_tasks=None, worker_id=f"tasks-{os.getpid()}-{i}",
                        excluded_queue_names=[])

        def loop(w=worker):
            watcher = threading.Thread(target=lambda: (stop.wait(), setattr(w, "running", False)), daemon=True)
            watcher.start()
            w.run()

        t = threading.Thread(target=loop, name=f"tasks-{i}", daemon=True)
        t.start()
        threads.append(t)
    return threads


def start_dispatcher(stop: threading.Event, **kwargs) -> threading.Thread:
    from parvis.publishing.dispatch import Dispatcher

    dispatcher = Dispatcher(**kwargs)

    def loop():
        threading.Thread(target=lambda: (stop.wait(), dispatcher.stop()), daemon=True).start()
        dispatcher.run()

    t = threading.Thread(target=loop, name="dispatcher", daemon=True)
    t.start()
    return t


def start_clock(stop: threading.Event) -> threading.Thread:
    from parvis.ops import clock

    t = threading.Thread(target=clock.run, args=(stop,), name="clock", daemon=True)
    t.start()
    return t


def start_sandbox(port: int = 8765) -> subprocess.Popen | None:
    """The simulated networks, in their own process on loopback. Returns None if one already answers."""
    url = f"http://127.0.0.1:{port}"
    if _healthy(url):
        return None
    proc = subprocess.Popen(
        [sys.executable, "-m", "parvis.networks.sandbox", "--port", str(port),
         "--state-file", str(settings.DATA_DIR / "sandbox.sqlite3")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if _healthy(url):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError("Le réseau simulé n'a pas démarré.")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum, frame):
        stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
