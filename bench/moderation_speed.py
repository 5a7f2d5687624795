"""Classification speed on one core: comments per second.

    python bench/moderation_speed.py [--comments 50000] [--json]

The corpus mixes everyday comments to an authority (questions, complaints, thanks, links, phone
numbers, insults, long texts) built here from templates, with the French HateCheck cases when they
are present. Caches of the classifier are cleared before the timed run, so repeated words are not
free at the start. Goal: ≥ 5,000 comments/s.
"""

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parvis.domain.moderation import (  # noqa: E402
    classify,  # noqa: E402
    lexicon,
    normalise,
)

HATECHECK = ROOT.parent / "shared" / "data" / "hatecheck" / "hatecheck_cases_final_french.csv"
GOAL = 5000

TEMPLATES = [
    "Bonjour, à quelle heure ouvre la {place} {day} ?",
    "La {place} est fermée depuis des semaines, c'est un scandale !",
    "Merci pour ce beau {event}, bravo à toute l'équipe 👏👏",
    "Le lampadaire de la rue {street} est en panne depuis {n} jours, personne ne répond.",
    "Est-ce que le {event} est maintenu s'il pleut ?",
    "Vous pouvez me rappeler au 06 {n2} {n2} {n2} {n2} svp",
    "Gagnez {n}00 euros par jour depuis chez vous https://bit.ly/{word}",
    "Superbe photo de la {place} au coucher du soleil, notre ville est magnifique ❤️",
    "Encore des travaux rue {street}, on ne peut plus circuler, quelle honte.",
    "Le maire est un {insult}",
    "Votez pour la liste {name} dimanche !",
    "Où peut-on déposer les encombrants ? Merci d'avance.",
    "J'ai signalé un nid de poule avenue {street} il y a un mois et toujours rien.",
    "{long}",
]
WORDS = dict(
    place=["piscine", "médiathèque", "mairie", "déchetterie", "salle des fêtes"],
    day=["samedi", "dimanche", "lundi", "pendant les vacances"],
    event=["feu d'artifice", "marché de Noël", "concert", "forum des associations"],
    street=["Victor Hugo", "Jean Jaurès", "de la Gare", "des Lilas"],
    insult=["incapable", "connard", "guignol"],
    name=["Dupont", "Martin", "Renouveau"],
    word=["x1", "promo", "gain"],
)


def corpus(n: int, rng: random.Random) -> list[str]:
    extra = []
    if HATECHECK.exists():
        with HATECHECK.open(encoding="utf-8", newline="") as f:
            extra = [row["test_case"] for row in csv.DictReader(f)]
    long_text = ("Je voulais vous dire que le quartier a beaucoup changé depuis l'an dernier, les trottoirs "
                 "sont refaits mais la circulation reste difficile le matin. ") * 6
    out = []
    for _ in range(n):
        if extra and rng.random() < 0.3:
            out.append(rng.choice(extra))
            continue
        t = rng.choice(TEMPLATES)
        out.append(t.format(
            n=rng.randint(2, 9), n2=f"{rng.randint(0, 99):02d}", long=long_text,
            **{k: rng.choice(v) for k, v in WORDS.items()},
        ))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = corpus(args.comments, random.Random(args.seed))
    lexicon.resolve.cache_clear()
    normalise.fold.cache_clear()
    start = time.process_time()
    labelled = 0
    for text in texts:
        labelled += bool(classify(text).labels)
    cpu = time.process_time() - start
    rate = len(texts) / cpu
    result = {
        "comments": len(texts), "cpu_seconds": round(cpu, 3), "comments_per_second": round(rate),
        "mean_chars": round(sum(map(len, texts)) / len(texts)), "labelled": labelled,
        "goal_comments_per_second": GOAL, "goal_met": rate >= GOAL,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"{result['comments']} commentaires ({result['mean_chars']} caractères en moyenne) en "
              f"{result['cpu_seconds']} s de CPU sur un cœur : {result['comments_per_second']} commentaires/s "
              f"(objectif ≥ {GOAL}).")
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
