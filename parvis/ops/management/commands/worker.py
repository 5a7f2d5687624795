import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from parvis.ops import runtime


class Command(BaseCommand):
    help = "Publie les diffusions à l'heure (répartiteur) et exécute les tâches de fond."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=None, help="appels réseau simultanés")
        parser.add_argument("--task-threads", type=int, default=2)
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, concurrency=None, task_threads=2, worker_id=None, **options):
        stop = threading.Event()
        runtime.install_signal_handlers(stop)
        dispatcher = runtime.start_dispatcher(stop, concurrency=concurrency, worker_id=worker_id)
        self.stdout.write(f"Parvis worker prêt (tâches : {settings.TASK_MODE}).")
        try:
            if settings.TASK_MODE == "rq":
                call_command("rqworker", "default", "--with-scheduler")
            else:
                runtime.start_task_workers(stop, task_threads)
                while not stop.wait(1):
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            dispatcher.join(timeout=60)
