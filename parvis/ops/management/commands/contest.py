"""`parvis contest`: count a comment-vote battle, run a verifiable draw, verify a draw certificate.

    parvis contest tally --contest CONTEST.json COMMENTS.jsonl
    parvis contest draw --commit
    parvis contest draw --contest DRAW.json COMMENTS.jsonl --seed SEED [--winners N] [--substitutes M]
    parvis contest draw --verify CERTIFICATE.json

The rules live in parvis/domain/contests; this command only reads files and prints JSON.
Exit status: 0 done (or certificate verified), 1 certificate differs, 2 bad input.
"""

from __future__ import annotations

import gc
import json
import secrets
import sys
from collections.abc import Iterable, Iterator

import orjson
from django.core.management.base import BaseCommand, CommandError

from parvis.domain.contests import draw as draws
from parvis.domain.contests import votes

_REQUIRED = ("id", "text", "created_at")


def BadInput(message: str) -> CommandError:  # noqa: N802 - reads as an exception at the raise site
    """Bad input files or options: exit status 2."""
    return CommandError(message, returncode=2)


def read_comments(lines: Iterable[str], warn) -> Iterator[dict]:
    """Parse COMMENTS.jsonl lines. A bad line is reported through `warn(message)` with its line number
    and skipped; blank lines are ignored. `created_at` is checked (an instant with its offset) and kept."""
    loads = orjson.loads  # a million lines: the parser is most of the time
    parse = votes.utc_instant
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = loads(line)
        except ValueError as exc:
            warn(f"ligne {number} : JSON invalide ({exc.msg}), ignorée.")
            continue
        if type(item) is not dict:
            warn(f"ligne {number} : un objet JSON est attendu, ligne ignorée.")
            continue
        missing = [k for k in _REQUIRED if k not in item]
        if missing:
            warn(f"ligne {number} : champ(s) manquant(s) {', '.join(missing)}, ligne ignorée.")
            continue
        if item.get("author_id") in (None, "") and not item.get("author_handle"):
            warn(f"ligne {number} : ni « author_id » ni « author_handle », ligne ignorée.")
            continue
        if not isinstance(item["text"], str) and item["text"] is not None:
            warn(f"ligne {number} : « text » doit être un texte, ligne ignorée.")
            continue
        try:
            parse(item["created_at"])
        except ValueError as exc:
            warn(f"ligne {number} : {exc} Ligne ignorée.")
            continue
        yield item


def load_json_file(path: str, what: str) -> object:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise BadInput(f"{what} « {path} » illisible : {exc.strerror}.") from None
    except ValueError as exc:
        raise BadInput(f"{what} « {path} » : JSON invalide ({exc}).") from None


def run_tally(contest: votes.Contest, lines: Iterable[str], warn, designator=None) -> votes.Tally:
    # A million parsed comments are long-lived objects: left on, the cyclic garbage collector would walk
    # them again and again while they are read. Nothing here makes reference cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = votes.tally(contest, read_comments(lines, warn), designator)
    finally:
        if was_enabled:
            gc.enable()
    if result.repeated_ids:
        warn(f"{result.repeated_ids} ligne(s) reprennent l'identifiant d'un commentaire déjà lu : "
             "seule la première occurrence est jugée.")
    return result


class Command(BaseCommand):
    help = "Concours : dépouillement des votes en commentaire et tirage au sort vérifiable."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        tally = sub.add_parser("tally", help="Compte les votes en commentaire (JSON sur la sortie standard).")
        tally.add_argument("--contest", required=True, help="CONTEST.json : candidats, dates, exclusions, mode")
        tally.add_argument("comments", help="COMMENTS.jsonl : un commentaire JSON par ligne ('-' : entrée standard)")
        draw = sub.add_parser("draw", help="Tirage au sort vérifiable, ou vérification d'un certificat.")
        draw.add_argument("--contest", help="DRAW.json : dates, exclusions, mots-clés requis, nombre de gagnants")
        draw.add_argument("comments", nargs="?", help="COMMENTS.jsonl ('-' : entrée standard)")
        draw.add_argument("--seed", help="la graine révélée après la clôture (ou la valeur publique annoncée)")
        draw.add_argument("--winners", type=int, help="nombre de gagnants (sinon celui de DRAW.json, ou 1)")
        draw.add_argument("--substitutes", type=int, help="nombre de suppléants (sinon DRAW.json, ou 0)")
        draw.add_argument("--verify", metavar="CERTIFICATE", help="vérifie un certificat de tirage")
        draw.add_argument("--commit", action="store_true",
                          help="génère une graine secrète et son engagement sha256 à publier avant le tirage")

    def handle(self, *args, **options):
        if options["action"] == "tally":
            return self._tally(options)
        return self._draw(options)

    def _warn(self, message: str) -> None:
        self.stderr.write(message)

    def _open_lines(self, path: str):
        if path == "-":
            return sys.stdin
        try:
            return open(path, encoding="utf-8", errors="replace")
        except OSError as exc:
            raise BadInput(f"Fichier de commentaires « {path} » illisible : {exc.strerror}.") from None

    def _tally(self, options):
        try:
            contest = votes.contest_from_dict(load_json_file(options["contest"], "Fichier du concours"))
        except votes.ContestError as exc:
            raise BadInput(f"Fichier du concours « {options['contest']} » : {exc}") from None
        fh = self._open_lines(options["comments"])
        try:
            result = run_tally(contest, fh, self._warn)
        finally:
            if fh is not sys.stdin:
                fh.close()
        self.stdout.write(orjson.dumps(result.as_json()).decode())

    def _config(self, options) -> draws.DrawConfig:
        try:
            return draws.draw_config_from_dict(load_json_file(options["contest"], "Fichier du tirage"))
        except votes.ContestError as exc:
            raise BadInput(f"Fichier du tirage « {options['contest']} » : {exc}") from None

    def _entrants(self, options, config=None) -> draws.Entrants:
        config = config or self._config(options)
        fh = self._open_lines(options["comments"])
        try:
            return draws.eligible_entrants(config, read_comments(fh, self._warn))
        finally:
            if fh is not sys.stdin:
                fh.close()

    def _draw(self, options):
        if options["commit"]:
            seed = secrets.token_hex(32)
            self.stdout.write(json.dumps({
                "seed": seed,
                "seed_commitment": draws.commitment(seed),
                "note": "Publiez seed_commitment avec le règlement, gardez seed secrète jusqu'au tirage.",
            }, ensure_ascii=False, indent=2))
            return
        if options["verify"]:
            certificate = load_json_file(options["verify"], "Certificat")
            recomputed = None
            if options["contest"] and options["comments"]:
                recomputed = self._entrants(options).entrants
            problems = draws.verify_certificate(certificate, recomputed)
            if problems:
                self.stdout.write("ÉCHEC : le certificat ne correspond pas au tirage recalculé.")
                for problem in problems:
                    self.stdout.write(f"- {problem}")
                raise CommandError("certificat non conforme", returncode=1)
            self.stdout.write(
                f"OK : tirage {certificate['algorithm']} recalculé à l'identique "
                f"({certificate['entrants_count']} participants, {len(certificate['winners'])} gagnant(s), "
                f"{len(certificate['substitutes'])} suppléant(s))."
            )
            return
        if not options["contest"] or not options["comments"]:
            raise BadInput("Indiquez --contest DRAW.json et le fichier COMMENTS.jsonl (ou --verify CERTIFICAT, "
                           "ou --commit).")
        config = self._config(options)
        seed = options["seed"] if options["seed"] is not None else config.seed
        if not seed:
            raise BadInput("--seed manque : la graine révélée (ou la valeur publique annoncée au règlement).")
        winners = options["winners"] if options["winners"] is not None else config.winners
        substitutes = options["substitutes"] if options["substitutes"] is not None else config.substitutes
        entrants = self._entrants(options, config)
        try:
            certificate = draws.run_draw(
                entrants.entrants, seed, winners=winners, substitutes=substitutes,
                seed_commitment=config.seed_commitment, seed_source=config.seed_source,
                title=config.title, handles=entrants.handles,
            )
        except draws.DrawError as exc:
            raise BadInput(str(exc)) from None
        self.stdout.write(json.dumps(certificate, ensure_ascii=False, indent=2))
