import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand

from parvis.ops import runtime


class Command(BaseCommand):
    help = "Démarre Parvis en un seul processus : web + worker + horloge (mode embarqué)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="web seul (workers lancés à part)")
        parser.add_argument("--sandbox", action="store_true", help="démarre aussi le réseau simulé")

    def handle(self, *args, host, port, no_worker, sandbox, **options):
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        sandbox_proc = runtime.start_sandbox() if sandbox else None
        stop = threading.Event()
        runtime.install_signal_handlers(stop)
        threads = []
        if not no_worker:
            threads.append(runtime.start_dispatcher(stop))
            threads += runtime.start_task_workers(stop, 1)
            threads.append(runtime.start_clock(stop))
        self.stdout.write(self.style.SUCCESS(f"Parvis est prêt : http://{host}:{port}/"))
        from waitress import serve

        from parvis.config.wsgi import application

        try:
            serve(application, host=host, port=port, threads=8, ident="Parvis")
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
            if sandbox_proc:
                sandbox_proc.terminate()
