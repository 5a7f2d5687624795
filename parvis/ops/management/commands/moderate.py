"""`parvis moderate FILE.jsonl`: classify comments line by line, in constant memory.

Each input line is a JSON object with at least "id" and "text" (and optionally "network"). Each output
line is {"id", "labels", "action"}. A bad line is reported on stderr with its number and skipped.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from parvis.domain.moderation import ACTIONS, LABELS, classify


def _parse_actions(pairs: list[str]) -> dict[str, str]:
    actions = {}
    for pair in pairs:
        label, sep, action = pair.partition("=")
        if not sep or label not in LABELS or action not in ACTIONS:
            raise CommandError(
                f"--action « {pair} » : attendu LIBELLÉ=ACTION, libellé parmi {', '.join(LABELS)}, "
                f"action parmi {', '.join(ACTIONS)}."
            )
        actions[label] = action
    return actions


class Command(BaseCommand):
    help = "Classe des commentaires (JSON Lines : id, text, network facultatif) selon la charte de modération."
    requires_system_checks = []  # pure text processing: no database, no settings to check

    def add_arguments(self, parser):
        parser.add_argument("file", help="Fichier JSON Lines, ou « - » pour l'entrée standard.")
        parser.add_argument("--allow", action="append", default=[], help="Mot, expression ou domaine accepté.")
        parser.add_argument("--deny", action="append", default=[], help="Mot, expression ou domaine refusé.")
        parser.add_argument("--action", action="append", default=[], metavar="LIBELLÉ=ACTION",
                            help="Remplace l'action d'un libellé (ex. insult=hide).")
        parser.add_argument("--reasons", action="store_true", help="Ajoute les règles déclenchées.")

    def handle(self, *args, **options):
        actions = _parse_actions(options["action"])
        allow, deny = tuple(options["allow"]), tuple(options["deny"])
        with_reasons = options["reasons"]
        path = options["file"]
        interactive = path == "-"
        if interactive:
            stream = sys.stdin.buffer
            close = False
        else:
            try:
                stream = open(path, "rb")  # noqa: SIM115 - closed below; binary so a bad byte spoils one line only
            except OSError as exc:
                raise CommandError(f"Impossible d'ouvrir « {path} » : {exc.strerror}.") from exc
            close = True
        out, err = self.stdout, self.stderr
        bad = 0
        try:
            for number, raw in enumerate(stream, start=1):
                problem, item = _read_line(raw)
                if problem is None and not raw.strip():
                    continue
                if problem is None:
                    try:
                        verdict = classify(item["text"], network=item.get("network"), allow=allow, deny=deny,
                                           actions=actions)
                    except Exception as exc:  # never let one comment stop the run
                        problem = f"classement impossible ({type(exc).__name__})"
                if problem is not None:
                    bad += 1
                    err.write(f"ligne {number} : {problem} ; ligne ignorée")
                    continue
                row = {"id": item["id"], "labels": list(verdict.labels), "action": verdict.action}
                if with_reasons:
                    row["reasons"] = verdict.reasons
                out.write(json.dumps(row, ensure_ascii=False))
                if interactive:
                    out.flush()  # a producer on a pipe waits for each answer
        finally:
            if close:
                stream.close()
        if bad:
            err.write(f"{bad} ligne(s) ignorée(s).")


def _read_line(raw: bytes) -> tuple[str | None, dict | None]:
    if not raw.strip():
        return None, None
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "texte qui n'est pas en UTF-8", None
    try:
        item = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return "JSON invalide", None
    if not isinstance(item, dict):
        return "un objet JSON est attendu", None
    if "id" not in item:
        return "champ « id » manquant", None
    if not isinstance(item["id"], str | int) or isinstance(item["id"], bool):
        return "champ « id » : texte ou nombre attendu", None
    if "text" not in item:
        return "champ « text » manquant", None
    if not isinstance(item["text"], str):
        return "champ « text » : texte attendu", None
    if item.get("network") is not None and not isinstance(item["network"], str):
        return "champ « network » : texte attendu", None
    return None, item
