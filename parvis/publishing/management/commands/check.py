"""`parvis check`: Django's system checks, plus `--network` to check a text against a network's rules.

    parvis check --deploy                          Django's checks, unchanged
    parvis check --network x "Conseil ce soir"     one JSON object: length as X counts it, problems
    parvis check --network mastodon --file post.txt

Exit code with --network: 0 when the text can be published as is, 1 when it cannot, 2 on a usage error.
"""

import dataclasses
import json
import sys

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.check import Command as DjangoCheckCommand

from parvis.domain.limits import get_limits
from parvis.domain.networks import Network
from parvis.domain.text import count_text
from parvis.domain.validation import has_errors, validate_variant

USAGE_ERROR = 2


def _overrides() -> dict | None:
    raw = getattr(settings, "NETWORK_LIMIT_OVERRIDES", None)
    if not raw:
        return None
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(f"PARVIS_LIMITS n'est pas du JSON valide : {exc}", returncode=USAGE_ERROR) from exc
    if not isinstance(value, dict):
        raise CommandError("PARVIS_LIMITS doit être un objet JSON par réseau.", returncode=USAGE_ERROR)
    return value


class Command(DjangoCheckCommand):
    help = (
        DjangoCheckCommand.help
        + " With --network, checks a text (arguments or --file) against that network's rules and prints JSON."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--network",
            help=f"Check the text given as arguments (or --file) for one network: {', '.join(Network)}.",
        )
        parser.add_argument("--file", help="With --network: read the text from this UTF-8 file.")

    def handle(self, *args, **options):
        network_name = options.get("network")
        if network_name is None:
            if options.get("file"):
                raise CommandError("--file s'utilise avec --network.", returncode=USAGE_ERROR)
            return super().handle(*args, **options)

        network = self._network(network_name)
        text = self._text(args, options.get("file"))
        try:
            limits = get_limits(network, _overrides())
        except ValueError as exc:
            raise CommandError(f"PARVIS_LIMITS : {exc}", returncode=USAGE_ERROR) from exc
        problems = validate_variant(network, text, [], limits=limits)
        ok = not has_errors(problems)
        result = {
            "network": network.value,
            "length": count_text(text, limits.counting, url_length=limits.url_length or 23),
            "limit": limits.max_chars,
            "ok": ok,
            "problems": [dataclasses.asdict(p) for p in problems],
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not ok:
            sys.exit(1)

    def _network(self, name: str) -> Network:
        try:
            return Network(name.strip().lower())
        except ValueError:
            raise CommandError(
                f"Réseau inconnu : « {name} ». Réseaux possibles : {', '.join(Network)}.",
                returncode=USAGE_ERROR,
            ) from None

    def _text(self, args: tuple, path: str | None) -> str:
        if path is None:
            return " ".join(args)
        if args:
            raise CommandError(
                "Donnez le texte en arguments ou avec --file, pas les deux.", returncode=USAGE_ERROR
            )
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise CommandError(f"Fichier introuvable : {path}", returncode=USAGE_ERROR) from None
        except UnicodeDecodeError:
            raise CommandError(
                f"Le fichier {path} n'est pas un texte UTF-8.", returncode=USAGE_ERROR
            ) from None
        except OSError as exc:
            raise CommandError(
                f"Lecture impossible de {path} : {exc.strerror}", returncode=USAGE_ERROR
            ) from None
        # An editor's final newline is not part of the post.
        return text.removesuffix("\n").removesuffix("\r")
