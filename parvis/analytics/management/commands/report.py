"""`parvis report monthly --authority SLUG --month YYYY-MM --out FILE.pdf [--send]`: the monthly report."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from parvis.analytics import reports
from parvis.organisations.models import Authority


class Command(BaseCommand):
    help = "Rapport mensuel d'une collectivité en PDF (et envoi aux destinataires avec --send)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["monthly"])
        parser.add_argument("--authority", required=True, help="identifiant (slug) de la collectivité")
        parser.add_argument("--month", required=True, help="mois au format AAAA-MM")
        parser.add_argument("--out", help="fichier PDF à écrire")
        parser.add_argument("--send", action="store_true", help="envoyer aussi par e-mail aux destinataires")

    def handle(self, *args, kind, authority, month, out, send, **options):
        try:
            a = Authority.objects.get(slug=authority)
        except Authority.DoesNotExist:
            raise CommandError(f"Collectivité introuvable : « {authority} ».") from None
        try:
            reports.parse_month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not out and not send:
            raise CommandError("Indiquez --out FICHIER.pdf, --send, ou les deux.")
        if out:
            report = reports.write_pdf(a, month, out)
            self.stdout.write(f"Rapport de {report.label} écrit dans {out}.")
        if send:
            n = reports.send_report(a, month)
            self.stdout.write(f"Rapport envoyé à {n} destinataire(s)." if n else
                              "Aucun destinataire : rien n'a été envoyé.")
