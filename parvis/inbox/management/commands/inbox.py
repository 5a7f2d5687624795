"""`parvis inbox`: maintenance of the comments inbox.

    parvis inbox poll [--channel ID]                 read new comments now (all active channels by default)
    parvis inbox purge                               delete what is older than each authority's retention
    parvis inbox erase --authority SLUG --author PSEUDO   erase everything about one person (audited)
    parvis inbox alerts                              send the due on-duty alerts now
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from parvis.organisations.models import Authority


class Command(BaseCommand):
    help = "Messagerie : relever les commentaires, purger, effacer les données d'une personne, alertes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        poll = sub.add_parser("poll", help="relever les nouveaux commentaires maintenant")
        poll.add_argument("--channel", type=int, help="identifiant du compte (défaut : tous les comptes actifs)")
        sub.add_parser("purge", help="supprimer les commentaires au-delà de la durée de conservation")
        erase = sub.add_parser("erase", help="effacer tout ce qui concerne une personne")
        erase.add_argument("--authority", required=True, help="identifiant (slug) de la collectivité")
        erase.add_argument("--author", required=True, help="pseudo de la personne sur les réseaux")
        sub.add_parser("alerts", help="envoyer les alertes de modération dues")

    def handle(self, *args, **options):
        from parvis.inbox import actions, ingest

        action = options["action"]
        if action == "poll":
            ids = [options["channel"]] if options.get("channel") else ingest.channels_to_poll()
            out = [ingest.poll_channel(i) for i in ids]
        elif action == "purge":
            out = actions.purge_expired()
        elif action == "alerts":
            out = {"sent": actions.send_alerts()}
        else:
            authority = Authority.objects.filter(slug=options["authority"]).first()
            if authority is None:
                raise CommandError(f"Collectivité « {options['authority']} » introuvable.")
            try:
                out = actions.erase_author(None, authority=authority, handle=options["author"],
                                           actor_label="commande parvis inbox erase")
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
