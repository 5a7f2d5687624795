from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from parvis.ops import demo, runtime


class Command(BaseCommand):
    help = "Prépare la démo (Arras, neuf comptes simulés, une équipe complète) et démarre Parvis."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="charge les données et s'arrête")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def _first_figures(self, authority) -> None:
        """A first reading of every channel and its published posts, so the measures page is not empty."""
        from parvis.analytics.collect import collect_channel

        for channel in authority.channels.all():
            try:
                collect_channel(channel, scope="backfill", days=60)
            except Exception as exc:  # noqa: BLE001 — figures are a bonus of the demo, never a blocker
                self.stderr.write(f"Mesures de {channel} non relevées : {exc}")

    def handle(self, *args, no_serve, host, port, **options):
        call_command("migrate", verbosity=0, interactive=False)
        sandbox = runtime.start_sandbox()
        try:
            authority = demo.load(publish=True)
            self._first_figures(authority)
        finally:
            if sandbox and no_serve:
                sandbox.terminate()
        self.stdout.write(self.style.SUCCESS(f"Démo prête : {authority.name} ({authority.insee_code}), "
                                             f"{authority.channels.count()} comptes simulés."))
        self.stdout.write(f"Données : {settings.DATA_DIR}")
        self.stdout.write(f"Identifiants (mot de passe « {demo.DEMO_PASSWORD} ») :")
        for username, first, last, role in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<10} {first} {last} — {role}")
        self.stdout.write("  admin      administration de l'instance")
        if no_serve:
            return
        self.stdout.write(f"Adresse : http://{host}:{port}/")
        try:
            call_command("serve", host=host, port=port, sandbox=True)
        finally:
            if sandbox:
                sandbox.terminate()
