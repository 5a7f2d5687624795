import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from parvis.ops import runtime


class Command(BaseCommand):
    help = "Publie les diffusions à l'heure (répartiteur) et exécute les tâches de fond."

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                            help="processus répartiteurs (un par cœur par défaut : Python n'use qu'un cœur "
                                 "par processus)")
        parser.add_argument("--concurrency", type=int, default=None, help="appels réseau simultanés par processus")
        parser.add_argument("--task-threads", type=int, default=2)
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, processes, concurrency=None, task_threads=2, worker_id=None, **options):
        if processes > 1:
            return self._supervise(processes, concurrency, task_threads, worker_id)
        stop = threading.Event()
        runtime.install_signal_handlers(stop)
        dispatcher = runtime.start_dispatcher(stop, concurrency=concurrency, worker_id=worker_id)
        self.stdout.write(f"Parvis worker prêt (tâches : {settings.TASK_MODE}).")
        try:
            if settings.TASK_MODE == "rq":
                # The backend's Job class calls the Task: plain RQ jobs would not know how.
                call_command("rqworker", "default", "--with-scheduler", "--job-class", "django_tasks_rq.backend.Job")
            else:
                runtime.start_task_workers(stop, task_threads)
                while not stop.wait(1):
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            dispatcher.join(timeout=60)

    def _supervise(self, processes, concurrency, task_threads, worker_id):
        """N single-process workers; one that dies is restarted (its leased rows are reconciled)."""
        base = worker_id or f"w{os.getpid()}"

        def spawn(i: int) -> subprocess.Popen:
            cmd = [sys.executable, "-m", "parvis.cli", "worker", "--processes", "1", "--worker-id", f"{base}-{i}",
                   "--task-threads", str(task_threads if i == 0 else 0)]
            if concurrency:
                cmd += ["--concurrency", str(concurrency)]
            return subprocess.Popen(cmd)

        children = [spawn(i) for i in range(processes)]
        stopping = threading.Event()

        def forward(signum, frame):
            stopping.set()
            for child in children:
                child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        self.stdout.write(f"{processes} processus répartiteurs démarrés.")
        while not stopping.is_set():
            for i, child in enumerate(children):
                if child.poll() is not None and not stopping.is_set():
                    self.stderr.write(f"Processus {i} arrêté (code {child.returncode}) : redémarrage.")
                    children[i] = spawn(i)
            time.sleep(1)
        for child in children:
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
