"""`parvis metrics`: measure a channel now, or fetch the figures of its past publications.

    parvis metrics backfill --channel ID [--days N]
    parvis metrics collect --channel ID

A short rate limit is waited out; a long one stops the command and says when to try again.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from parvis.analytics import collect
from parvis.channels.models import Channel


class Command(BaseCommand):
    help = "Relevé des mesures d'un compte (backfill : publications passées, là où le réseau le permet)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["backfill", "collect"])
        parser.add_argument("--channel", type=int, required=True, help="identifiant du compte")
        parser.add_argument("--days", type=int, default=None,
                            help="publications des N derniers jours (toutes par défaut)")

    def handle(self, *args, action, channel, days, **options):
        try:
            ch = Channel.objects.select_related("authority").get(pk=channel)
        except Channel.DoesNotExist:
            raise CommandError(f"Compte introuvable : {channel}.") from None
        if days is not None and days <= 0:
            raise CommandError("--days doit être un nombre de jours positif.")
        console = Console(file=self.stderr._out, stderr=True)
        scope = "backfill" if action == "backfill" else "nightly"
        with Progress(TextColumn(f"{ch.network_label} · {ch.handle}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console, transient=False) as bar:
            job = bar.add_task("publications", total=None)
            outcome = collect.collect_channel(
                ch, scope=scope, days=days, sleep=time.sleep,
                progress=lambda done, total: bar.update(job, completed=done, total=total))
        self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False))
        if outcome.error:
            raise CommandError(outcome.error)
        if outcome.rate_limited_until:
            raise CommandError(f"Limite de débit du réseau : relancez après "
                               f"{outcome.rate_limited_until:%d/%m/%Y %H:%M} UTC ({outcome.remaining} "
                               "publications restantes).")
