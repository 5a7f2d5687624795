"""Moderation quality on the French Multilingual HateCheck suite (Röttger et al., 2022, CC-BY-4.0).

    python bench/moderation_quality.py [--data DIR] [--json]

For each functionality: hateful cases (`_h`) succeed when labelled `hate`; non-hateful cases (`_nh`)
succeed when given no label whose default action is "hide". Goals: ≥ 80 % of hateful cases labelled
`hate`, ≤ 10 % of non-hateful cases hidden. The data is read where it lies, never copied.
"""

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parvis.domain.moderation import HIDE_LABELS, classify  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hatecheck"
FILE = "hatecheck_cases_final_french.csv"
GOAL_HATE = 0.80
GOAL_HIDDEN = 0.10


def measure(path: Path) -> dict:
    per: dict[str, dict] = defaultdict(lambda: {"cases": 0, "hate": 0, "hidden": 0})
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            verdict = classify(row["test_case"])
            stats = per[row["functionality"]]
            stats["gold"] = row["label_gold"]
            stats["cases"] += 1
            stats["hate"] += "hate" in verdict.labels
            stats["hidden"] += bool(HIDE_LABELS.intersection(verdict.labels))
    functionalities = {}
    totals = {"hateful": [0, 0], "non-hateful": [0, 0]}
    for name in sorted(per):
        s = per[name]
        hateful = s["gold"] == "hateful"
        share = (s["hate"] if hateful else s["hidden"]) / s["cases"]
        functionalities[name] = {
            "gold": s["gold"], "cases": s["cases"],
            "labelled_hate": round(s["hate"] / s["cases"], 4),
            "hidden": round(s["hidden"] / s["cases"], 4),
            "success": round(share if hateful else 1 - share, 4),
        }
        t = totals[s["gold"]]
        t[0] += s["hate"] if hateful else s["hidden"]
        t[1] += s["cases"]
    hate_share = totals["hateful"][0] / totals["hateful"][1]
    hidden_share = totals["non-hateful"][0] / totals["non-hateful"][1]
    return {
        "source": "Röttger et al., Multilingual HateCheck (2022), CC-BY-4.0 — French",
        "hateful_cases": totals["hateful"][1],
        "non_hateful_cases": totals["non-hateful"][1],
        "hateful_labelled_hate": round(hate_share, 4),
        "non_hateful_hidden": round(hidden_share, 4),
        "goal_hateful_labelled_hate": GOAL_HATE,
        "goal_non_hateful_hidden": GOAL_HIDDEN,
        "goals_met": hate_share >= GOAL_HATE and hidden_share <= GOAL_HIDDEN,
        "functionalities": functionalities,
    }


def table(result: dict) -> str:
    lines = [f"{'fonctionnalité':24} {'attendu':12} {'cas':>5} {'hate':>7} {'masqué':>7} {'réussite':>9}"]
    for name, f in result["functionalities"].items():
        lines.append(f"{name:24} {f['gold']:12} {f['cases']:>5} {f['labelled_hate']:>7.1%} "
                     f"{f['hidden']:>7.1%} {f['success']:>9.1%}")
    lines.append("")
    lines.append(f"Cas haineux étiquetés hate : {result['hateful_labelled_hate']:.1%} "
                 f"(objectif ≥ {GOAL_HATE:.0%}, {result['hateful_cases']} cas)")
    lines.append(f"Cas non haineux masqués : {result['non_hateful_hidden']:.1%} "
                 f"(objectif ≤ {GOAL_HIDDEN:.0%}, {result['non_hateful_cases']} cas)")
    lines.append(f"Source : {result['source']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dossier qui contient " + FILE)
    parser.add_argument("--json", action="store_true", help="un objet JSON au lieu du tableau")
    args = parser.parse_args()
    path = args.data / FILE
    if not path.exists():
        print(f"Jeu HateCheck absent : {path}", file=sys.stderr)
        return 2
    result = measure(path)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else table(result))
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
