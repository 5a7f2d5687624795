import threading

from django.core.management.base import BaseCommand

from parvis.ops import clock, runtime


class Command(BaseCommand):
    help = "Programme les tâches récurrentes (une horloge suffit ; plusieurs ne doublent rien)."

    def handle(self, *args, **options):
        stop = threading.Event()
        runtime.install_signal_handlers(stop)
        self.stdout.write("Horloge Parvis démarrée.")
        try:
            clock.run(stop)
        except KeyboardInterrupt:
            stop.set()
