"""Inbox benchmark: ingest N comments (store + classify, idempotent) and serve the inbox list over them.

    python bench/inbox_ingest.py [--comments 1000000] [--page 1000] [--runs 40] [--seed 3]

1. Ingestion with the embedded default (SQLite, WAL): `parvis.inbox.ingest.ingest` page by page — existing
   ids looked up, every new comment classified with the authority's charter, authors and comments bulk-inserted
   with ON CONFLICT DO NOTHING, parents linked, the cursor moved in the same transaction, automatic hiding
   through a connector that answers at once (no network: the cost measured is Parvis's own). Classification
   runs on `--processes` processes (default: every core; 1 = in the ingesting process), the next page being
   classified while this one is stored (`ingest_many`).
2. Reference in the same run: the same rows written by a bare `executemany` (INSERT OR IGNORE) into SQLite
   tables with the same schema and indexes, in transactions of one page — no classification, no ORM.
3. Idempotency: the first pages ingested again store nothing.
4. The inbox list with N comments stored: first page and filtered pages (label, status, channel, full text),
   each `--runs` times; p50/p95 server time (the query function) and the number of SQL queries per page.

Comments are generated (French: questions, complaints, thanks, criticism, insults, spam, personal data, hate,
threats, electoral calls) with varying names, places, numbers and times, over 20 channels of one authority;
generation time is not counted. Prints one JSON object. Goals: ingestion ≤ 120 s for 1,000,000; list p95 ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = ["Camille", "Nathalie", "Karim", "Jean-Pierre", "Lucie", "Mohamed", "Isabelle", "Thomas", "Fatima", "Léa"]
LAST = ["Martin", "Dubois", "Durand", "Leroy", "Moreau", "Garcia", "Roux", "Fournier", "Petit", "Bernard"]
PLACES = ["la piscine municipale", "la médiathèque", "le marché couvert", "la salle des fêtes", "le stade",
          "la déchetterie", "l'école Jules-Ferry", "le centre social"]
STREETS = ["rue Victor-Hugo", "rue Pasteur", "avenue Jean-Jaurès", "rue de la République", "place du Marché"]
TEMPLATES = [
    (22, "Bonjour, à quelle heure ouvre {place} {day} ? Merci d'avance"),
    (8, "Est-ce que {place} sera ouvert le {n} {month} ?"),
    (10, "Toujours pas de ramassage des poubelles {street}, c'est inadmissible depuis {n} jours."),
    (6, "Les lampadaires {street} sont en panne depuis {n} semaines, personne ne fait rien."),
    (20, "Merci pour l'information, {first} ! Belle initiative pour {place}."),
    (10, "J'y serai avec les enfants, on était {n} l'an dernier."),
    (6, "Ce projet {street} est un gaspillage d'argent public, la majorité n'écoute personne."),
    (5, "Bande d'incapables, vous êtes des guignols à {place}."),
    (3, "Gagnez {n}00 € par jour depuis chez vous, cliquez ici : http://gains-{n}.example/promo"),
    (3, "Appelez-moi au 06 {n2} {n2} {n2} {n2} pour le covoiturage vers {place}."),
    (2, "Votez pour la liste de {first} {last} en mars !"),
    (2, "Les étrangers dehors, ils n'ont rien à faire {street}."),
    (1, "On sait où tu habites {first}, fais attention à toi."),
]
WEIGHTS = [w for w, _ in TEMPLATES]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "septembre", "octobre", "novembre"]
DAYS = ["samedi", "dimanche", "lundi", "ce soir", "demain matin", "pendant les vacances"]


def progress(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def make_page(rng: random.Random, start: int, size: int, t0: datetime, channel: int):
    from parvis.networks.types import RemoteComment

    out = []
    for i in range(start, start + size):
        template = rng.choices(TEMPLATES, weights=WEIGHTS)[0][1]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        text = template.format(
            place=rng.choice(PLACES), street=rng.choice(STREETS), day=rng.choice(DAYS), month=rng.choice(MONTHS),
            n=rng.randrange(2, 30), n2=f"{rng.randrange(100):02d}", first=first, last=last)
        author = rng.randrange(50_000)
        parent = f"c{rng.randrange(max(1, i - 500), i)}" if i > 1 and rng.random() < 0.12 else ""
        out.append(RemoteComment(
            remote_id=f"c{i}", post_remote_id=f"p{i // 40}", author_id=f"u{author}",
            author_handle=f"{first.lower()}.{last.lower()}{author}", author_name=f"{first} {last}", text=text,
            created_at=t0 + timedelta(seconds=i * 3), parent_remote_id=parent,
            url=f"https://net.example/{channel}/p{i // 40}#c{i}", kind="reply" if parent else "comment"))
    return out


class InstantNetwork:
    """Hides at once; Parvis's own cost only."""

    capabilities = frozenset({"comments", "hide_comment"})

    def __init__(self):
        self.hidden = 0

    def hide_comment(self, remote_id, *, hidden=True, post_remote_id=""):
        self.hidden += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--comments", type=int, default=1_000_000)
    ap.add_argument("--page", type=int, default=1000, help="comments per fetched page")
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--runs", type=int, default=40, help="timed requests per list query")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--cache-mb", type=int, default=0,
                    help="SQLite page cache for both databases (0: SQLite's default of 2 MB)")
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                    help="processes that classify (1: in the ingesting process)")
    args = ap.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="parvis-bench-inbox-"))
    os.environ.update(PARVIS_DATA_DIR=str(data_dir), PARVIS_LOG_LEVEL="ERROR", PARVIS_TASKS="immediate")
    os.environ.pop("PARVIS_DATABASE_URL", None)  # the embedded default
    os.environ["DJANGO_SETTINGS_MODULE"] = "parvis.config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parvis.channels.crypto import encrypt
    from parvis.channels.models import Channel
    from parvis.domain.roles import Role
    from parvis.inbox import queries
    from parvis.inbox.ingest import PoolClassifier, ingest, ingest_many
    from parvis.inbox.models import Comment
    from parvis.networks.types import CommentPage
    from parvis.organisations.models import Authority, Membership

    call_command("migrate", verbosity=0)
    progress(f"Données : {data_dir}")
    authority = Authority.objects.create(slug="bench", name="Ville de Banc", kind="commune")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username="bench")
    membership = Membership.objects.create(user=user, authority=authority, role=Role.COMMUNITY_MANAGER)
    creds = encrypt({"token": "bench"})
    channels = [Channel.objects.create(authority=authority, network="facebook", handle=f"@ville{i}", is_sandbox=True,
                                       credentials=creds) for i in range(args.channels)]

    # Reference: same schema and indexes, bare executemany.
    ref_path = data_dir / "reference.sqlite3"
    ref = sqlite3.connect(ref_path, isolation_level=None)
    ref.execute("PRAGMA journal_mode=WAL")
    ref.execute("PRAGMA synchronous=NORMAL")
    if args.cache_mb:
        ref.execute(f"PRAGMA cache_size=-{args.cache_mb * 1024}")
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size=-{args.cache_mb * 1024}")
    with connection.cursor() as cur:
        cur.execute("SELECT sql FROM sqlite_master WHERE tbl_name IN ('inbox_comment', 'inbox_commentauthor') "
                    "AND sql IS NOT NULL")
        for (ddl,) in cur.fetchall():
            ddl = ddl.replace(' REFERENCES "', ' -- "').replace("DEFERRABLE INITIALLY DEFERRED", "")
            ref.execute(ddl if "--" not in ddl else _strip_refs(ddl))
    comment_cols = ["authority_id", "channel_id", "remote_id", "post_remote_id", "parent_remote_id", "author_id",
                    "text", "url", "search", "created_at", "fetched_at", "kind", "status", "hidden_on_network",
                    "labels", "labels_text", "reasons", "action"]
    insert_ref = (f"INSERT OR IGNORE INTO inbox_comment ({', '.join(comment_cols)}) "
                  f"VALUES ({', '.join('?' * len(comment_cols))})")

    rng = random.Random(args.seed)
    t0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    network = InstantNetwork()
    classifier = PoolClassifier(args.processes) if args.processes > 1 else None
    ingest_s = ref_s = 0.0
    stored = 0
    first_pages = []
    per_channel = max(1, args.comments // args.channels)
    batch = 100  # pages generated ahead (generation is not timed), then ingested in one pipelined run
    n = 0
    while n < args.comments:
        pages = []
        while n < args.comments and len(pages) < batch:
            size = min(args.page, args.comments - n)
            ch = channels[(n // per_channel) % len(channels)]
            pages.append((ch, CommentPage(comments=tuple(make_page(rng, n, size, t0, ch.pk)), cursor=f"k{n + size}")))
            n += size
        first_pages += pages[:max(0, 10 - len(first_pages))]
        start = time.perf_counter()
        if args.processes > 1:
            results = ingest_many(pages, classifier=classifier, connector=network)
        else:
            results = [ingest(ch, p, connector=network) for ch, p in pages]
        ingest_s += time.perf_counter() - start
        stored += sum(r.stored for r in results)
        # The reference writes the same rows (authors as ids of the page; no classification).
        now = datetime.now(UTC).isoformat()
        for ch, p in pages:
            rows = [(authority.pk, ch.pk, c.remote_id, c.post_remote_id, c.parent_remote_id, int(c.author_id[1:]),
                     c.text, c.url, c.text.lower(), c.created_at.isoformat(), now, c.kind, "new", 0, "[]", "",
                     "{}", "none") for c in p.comments]
            start = time.perf_counter()
            ref.execute("BEGIN")
            ref.executemany(insert_ref, rows)
            ref.execute("COMMIT")
            ref_s += time.perf_counter() - start
        progress(f"{n:,} commentaires : Parvis {ingest_s:.1f} s, référence {ref_s:.1f} s")

    replay = sum(ingest(ch, p, connector=network).stored for ch, p in first_pages)
    total = Comment.objects.count()

    # The list with everything stored.
    def timed(name, **filters):
        durations, counts = [], []
        after = None
        for run in range(args.runs):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                page = queries.inbox_page(membership, limit=50, after=after if run % 2 else None, **filters)
                durations.append((time.perf_counter() - start) * 1000)
            counts.append(len(ctx.captured_queries))
            after = page.next
        durations.sort()
        return {"name": name, "p50_ms": round(statistics.median(durations), 2),
                "p95_ms": round(durations[max(0, int(len(durations) * 0.95) - 1)], 2),
                "queries_per_page": max(counts), "rows": len(page.items)}

    list_results = [
        timed("première page"),
        timed("catégorie question", label="question"),
        timed("statut nouveau + compte", status="new", channel=channels[3].pk),
        timed("masqués", status="hidden"),
        timed("recherche « piscine »", q="piscine"),
        timed("recherche « lampadaires pasteur »", q="lampadaires pasteur"),
    ]
    out = {
        "comments": args.comments,
        "classifier_processes": args.processes,
        "sqlite_cache_mb": args.cache_mb or 2,
        "cpus": os.cpu_count(),
        "stored": stored,
        "rows_in_table": total,
        "replayed_pages_stored": replay,
        "auto_hidden": network.hidden,
        "parvis_ingest_s": round(ingest_s, 2),
        "reference_executemany_s": round(ref_s, 2),
        "ratio": round(ingest_s / ref_s, 2) if ref_s else None,
        "comments_per_s": round(args.comments / ingest_s) if ingest_s else None,
        "goal_ingest_s": 120 * args.comments / 1_000_000,
        "list": list_results,
        "goal_list_p95_ms": 150,
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))


def _strip_refs(ddl: str) -> str:
    """Foreign keys point at tables the reference does not have: keep the columns, drop the references."""
    import re

    return re.sub(r' -- "[^"]+" \("[^"]+"\)\s*', " ", ddl)


if __name__ == "__main__":
    main()
