"""Comment-vote tally benchmark: N realistic comments of a 10-finalist battle, counted on one core.

    python bench/contest_tally.py [--comments 1000000] [--file] [--no-cache] [--seed 7]

Generates the comments in memory (default) or in a temporary COMMENTS.jsonl (--file): French vote
phrasings ("le 2", "vote 2", "team 2", 2️⃣, "@handle", names, "le deux"), chatter without a vote, quantities,
times and dates, negations, several candidates in one comment, the same author voting again, comments
after the cut-off, the organiser's own comments and repeated comment ids. Then times the tally:

- in memory: `votes.tally` over dicts whose `created_at` is an ISO 8601 string (parsing included);
- --file: the command's whole path — read and parse each JSON line, tally, serialise the output JSON —
  with each phase timed.

--no-cache disables the per-text designation cache, to show the cost when every text is new.
Prints one JSON object; the goal is `comments_per_s` ≥ 200,000 for the tally (1,000,000 in ≤ 5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parvis.domain.contests import votes  # noqa: E402

FIRST = ["Enza", "Lou", "Maël", "Inès", "Noah", "Léna", "Sacha", "Chloé", "Yanis", "Jade"]
LAST = ["Berger", "Lalou", "Durand", "Petit", "Moreau", "Girard", "Roux", "Fournier", "Bonnet", "Lefèvre"]
SPELLED = ["un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"]
EMOJIS = ["🔥", "💪", "❤️", "😍", "👏", "🙌", "✨", "💯", "😂", "🥰", ""]
VOTE_TEMPLATES = [
    "{n}", "{n} !", "{n} {e}{e}", "Le {n}", "le {n} !!", "Je vote pour le {n}", "vote {n}", "Vote {n} {e}",
    "team {n}", "Team {n} {e}", "#{n}", "n°{n}", "numéro {n} sans hésiter", "{k}", "{k} {e}", "@{h}",
    "@{h} {e}{e}", "{h}", "{first} !!", "Allez {first} {e}", "{first} {last} évidemment", "le {s}",
    "Je vote le {s} {e}", "Go le {n} {e}", "Le {n} c'est le meilleur", "trop fort le {n} {e}",
    "Mon vote : {n}", "Force au {n} 💪", "Le {n} est pas mal du tout", "Allez, {n} !",
]
NOISE_TEMPLATES = [
    "Bravo à tous les finalistes {e}", "Trop dur de choisir", "Ils sont tous géniaux {e}",
    "C'est quand les résultats ?", "J'ai {q} enfants qui adorent", "Rdv à {q}h pour le live",
    "le {q} mai c'est la fête", "{q} ans que je suis la page", "Match {q}-{q2} hier soir",
    "Super initiative de la ville {e}", "Les {q} premiers sont top", "+1", "Première !", "un super projet",
    "Pas le {n}", "Tout sauf le {n}", "Le {n} est nul", "le {n} ou le {m} ?", "{n} et {m} {e}",
    "J'hésite entre @{h} et @{h2}", "{big} abonnés bientôt", "{q},5 sur 10", "qui a gagné l'an dernier ?",
]


def make_comments(count: int, seed: int) -> tuple[dict, list[dict]]:
    rng = random.Random(seed)
    opens = datetime(2026, 5, 2, 10, 0, tzinfo=UTC)
    closes = opens + timedelta(days=7)
    candidates = [
        {"number": i + 1, "handle": f"{FIRST[i].lower()}_{LAST[i].lower()}".replace("ë", "e").replace("è", "e"),
         "name": f"{FIRST[i]} {LAST[i]}", "aliases": [FIRST[i]]}
        for i in range(10)
    ]
    contest = {
        "candidates": candidates,
        "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
        "excluded_authors": ["villederoanne", "roanne_officiel"],
        "mode": "last",
    }
    authors = max(10, count // 3)
    span = int((closes - opens).total_seconds())
    offsets = ["+02:00", "Z", "+04:00", "-04:00"]
    comments = []
    for i in range(count):
        r = rng.random()
        n = rng.randint(1, 10)
        cand = candidates[n - 1]
        fill = {
            "n": n, "m": rng.randint(1, 10), "k": f"{n}\ufe0f\u20e3" if n < 10 else "\U0001f51f",
            "h": cand["handle"], "h2": candidates[rng.randint(0, 9)]["handle"],
            "first": FIRST[n - 1], "last": LAST[n - 1], "s": SPELLED[n - 1] if n > 1 else "deux",
            "e": rng.choice(EMOJIS), "q": rng.randint(2, 30), "q2": rng.randint(0, 5),
            "big": rng.randint(1000, 9000),
        }
        template = rng.choice(VOTE_TEMPLATES if r < 0.72 else NOISE_TEMPLATES)
        text = template.format(**fill)
        if rng.random() < 0.25:  # personal touches make most texts distinct, as in real threads
            text += " " + rng.choice(["trop bien", "bravo", "allez", "courage", "wow", "magnifique",
                                      "go go go", "on y croit", "bisous", "la meilleure"]) + rng.choice(EMOJIS)
        author = rng.randint(1, authors)
        handle = f"user{author}"
        if rng.random() < 0.002:
            handle = "villederoanne"
        second = rng.randint(-3600, span + 7200)  # some before the opening, some late votes
        offset = rng.choice(offsets)
        at = opens + timedelta(seconds=second)
        if offset == "Z":
            stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            sign = 1 if offset[0] == "+" else -1
            local = at + sign * timedelta(hours=int(offset[1:3]))
            stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + offset
        cid = f"c{i}" if rng.random() > 0.003 else f"c{max(0, i - rng.randint(1, 50))}"  # repeated ids
        comments.append({
            "id": cid, "author_id": f"u{author}", "author_handle": handle, "text": text,
            "created_at": stamp, "parent_id": None if rng.random() < 0.9 else f"c{rng.randint(0, i or 1)}",
        })
    return contest, comments


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--comments", type=int, default=1_000_000)
    ap.add_argument("--file", action="store_true", help="time the command's path through a COMMENTS.jsonl file")
    ap.add_argument("--no-cache", action="store_true", help="disable the per-text designation cache")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    t0 = time.perf_counter()
    contest_data, comments = make_comments(args.comments, args.seed)
    generated_s = time.perf_counter() - t0
    contest = votes.contest_from_dict(contest_data)
    designator = votes.Designator(contest.candidates, cache_size=0 if args.no_cache else 200_000)
    result: dict = {
        "comments": args.comments,
        "distinct_texts": len({c["text"] for c in comments}),
        "cache": not args.no_cache,
        "generated_s": round(generated_s, 2),
        "python": sys.version.split()[0],
    }
    if args.file:
        from parvis.ops.management.commands.contest import run_tally

        with tempfile.TemporaryDirectory(prefix="parvis-bench-") as tmp:
            path = os.path.join(tmp, "comments.jsonl")
            with open(path, "w", encoding="utf-8") as fh:
                for c in comments:
                    fh.write(json.dumps(c, ensure_ascii=False) + "\n")
            del comments
            # The command's own path: read and parse each line while tallying, then serialise.
            cpu0, t0 = time.process_time(), time.perf_counter()
            with open(path, encoding="utf-8") as fh:
                tally = run_tally(contest, fh, lambda m: None, designator)
            t2 = time.perf_counter()
            out = json.dumps(tally.as_json(), ensure_ascii=False, separators=(",", ":"))
            t3 = time.perf_counter()
            cpu = time.process_time() - cpu0
            result.update({
                "read_parse_tally_s": round(t2 - t0, 3), "output_s": round(t3 - t2, 3),
                "seconds": round(t3 - t0, 3), "cpu_s": round(cpu, 3), "output_mb": round(len(out) / 1e6, 1),
            })
            tally_s = t2 - t0
    else:
        cpu0, t0 = time.process_time(), time.perf_counter()
        tally = votes.tally(contest, comments, designator)
        tally_s = time.perf_counter() - t0
        result.update({"seconds": round(tally_s, 3), "cpu_s": round(time.process_time() - cpu0, 3)})
    result["comments_per_s"] = round(args.comments / tally_s)
    result["goal_met"] = tally_s <= 5.0 * args.comments / 1_000_000
    result["reasons"] = tally.reason_counts()
    result["totals"] = {str(k): v for k, v in tally.totals.items()}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
