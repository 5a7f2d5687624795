#!/usr/bin/env python3
"""Refresh the vendored reference data of French authorities.

Source: the npm package ``@etalab/decoupage-administratif`` (code MIT, data Licence Ouverte 2.0).
Only a compact, gzip-compressed extract is written to ``parvis/organisations/data/``:

    communes.csv.gz      code, name, departement, region, siren, population, postal_codes
    epci.csv.gz          siren, name, nature, financing, population, members
    departements.csv.gz  code, name, region, population
    regions.csv.gz       code, name, population
    meta.json            package, version, data year, population vintage, licence, source

The output is deterministic (sorted rows, gzip mtime=0, no file name in the gzip header): a refresh
without a change in the source gives the same bytes, so git sees no diff.

Usage:
    python scripts/refresh_reference_data.py                  # npm install into a temp dir
    python scripts/refresh_reference_data.py --version 6.0.0
    python scripts/refresh_reference_data.py --from DIR       # an already unpacked package
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

PACKAGE = "@etalab/decoupage-administratif"
DEFAULT_VERSION = "6.0.0"
SOURCE_URL = "https://github.com/etalab/decoupage-administratif"
DATA_LICENCE = "Licence Ouverte / Open Licence 2.0"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "parvis" / "organisations" / "data"

COMMUNE_HEADER = ["code", "name", "departement", "region", "siren", "population", "postal_codes"]
EPCI_HEADER = ["siren", "name", "nature", "financing", "population", "members"]
DEPARTEMENT_HEADER = ["code", "name", "region", "population"]
REGION_HEADER = ["code", "name", "population"]

console = Console(stderr=True)


class SourceError(Exception):
    """The package is missing, incomplete or not in the expected shape."""


# ---------------------------------------------------------------------------------------------- source


def npm_install(version: str, prefix: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SourceError("npm est introuvable : installez Node.js ou utilisez --from DOSSIER.")
    cmd = [
        npm,
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(prefix),
        f"{PACKAGE}@{version}",
    ]
    with console.status(f"npm install {PACKAGE}@{version}…"):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SourceError(f"npm install a échoué ({done.returncode}) : {done.stderr.strip()[-500:]}")
    return prefix / "node_modules" / PACKAGE


def package_root(path: Path) -> Path:
    """Accept the package folder itself or a prefix holding node_modules/@etalab/…"""
    for candidate in (path, path / "node_modules" / PACKAGE, path / "package"):
        if (candidate / "data" / "communes.json").is_file():
            return candidate
    raise SourceError(f"{path} : data/communes.json introuvable (dossier du paquet {PACKAGE} attendu).")


def load_json(path: Path) -> list[dict]:
    if not path.is_file():
        raise SourceError(f"Fichier manquant : {path}")
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list):
        raise SourceError(f"{path} : une liste JSON est attendue.")
    return data


def data_year(readme: str, version: str) -> str | None:
    """The README has a table "| Année | Version du package | …": find the year of this version."""
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"\d{4}", cells[0]) and cells[1] == version:
            return cells[0]
    return None


# ------------------------------------------------------------------------------------------- extract


def _pop(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def build_tables(root: Path, progress: Progress) -> dict[str, list[list]]:
    communes_raw = load_json(root / "data" / "communes.json")
    epci_raw = load_json(root / "data" / "epci.json")
    departements_raw = load_json(root / "data" / "departements.json")
    regions_raw = load_json(root / "data" / "regions.json")

    # Communes: only current ones (not "déléguées", "associées" nor municipal arrondissements).
    task = progress.add_task("Communes", total=len(communes_raw))
    communes: dict[str, list] = {}
    for raw in communes_raw:
        progress.advance(task)
        if raw.get("type") != "commune-actuelle":
            continue
        code = str(raw["code"])
        postal = sorted(set(raw.get("codesPostaux") or []))
        communes[code] = [
            code,
            str(raw["nom"]).strip(),
            str(raw.get("departement") or ""),
            str(raw.get("region") or ""),
            str(raw.get("siren") or ""),
            _pop(raw.get("population")),
            " ".join(postal),
        ]

    # EPCI: population is the sum of the members' populations from communes.json, so that every
    # figure of the extract comes from the same vintage (the DGCL member figures are older).
    task = progress.add_task("EPCI", total=len(epci_raw))
    epcis: list[list] = []
    missing: list[str] = []
    for raw in epci_raw:
        progress.advance(task)
        members = sorted({str(m["code"]) for m in raw.get("membres") or []})
        missing += [f"{raw['code']}:{m}" for m in members if m not in communes]
        members = [m for m in members if m in communes]
        epcis.append(
            [
                str(raw["code"]),
                str(raw["nom"]).strip(),
                str(raw.get("type") or ""),
                str(raw.get("modeFinancement") or ""),
                _sum([communes[m][5] for m in members]),
                " ".join(members),
            ]
        )
    if missing:
        console.print(
            f"[yellow]{len(missing)} membre(s) d'EPCI absent(s) des communes, ignoré(s) : {missing[:5]}"
        )

    by_departement: dict[str, list[int | None]] = defaultdict(list)
    by_region: dict[str, list[int | None]] = defaultdict(list)
    for row in communes.values():
        by_departement[row[2]].append(row[5])
        by_region[row[3]].append(row[5])

    departements = [
        [
            str(d["code"]),
            str(d["nom"]).strip(),
            str(d.get("region") or ""),
            _sum(by_departement.get(str(d["code"]), [])),
        ]
        for d in departements_raw
    ]
    regions = [
        [str(r["code"]), str(r["nom"]).strip(), _sum(by_region.get(str(r["code"]), []))] for r in regions_raw
    ]

    return {
        "communes": sorted(communes.values(), key=lambda r: r[0]),
        "epci": sorted(epcis, key=lambda r: r[0]),
        "departements": sorted(departements, key=lambda r: r[0]),
        "regions": sorted(regions, key=lambda r: r[0]),
    }


# --------------------------------------------------------------------------------------------- write


def csv_gz_bytes(header: list[str], rows: list[list]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    out = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of anything that changes between runs.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return out.getvalue()


def write_atomic(path: Path, payload: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def refresh(root: Path, out: Path, *, quiet: bool = False) -> dict:
    root = package_root(root)
    package_json = json.loads((root / "package.json").read_text(encoding="utf-8"))
    if package_json.get("name") != PACKAGE:
        raise SourceError(f"{root} : paquet {package_json.get('name')!r}, {PACKAGE} attendu.")
    version = str(package_json.get("version") or "")
    readme_path = root / "README.md"
    year = data_year(readme_path.read_text(encoding="utf-8"), version) if readme_path.is_file() else None

    progress = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    )
    with progress:
        tables = build_tables(root, progress)

    meta = {
        "package": PACKAGE,
        "version": version,
        "code_licence": str(package_json.get("license") or ""),
        "licence": DATA_LICENCE,
        "source": SOURCE_URL,
        "data_year": year,
        # INSEE rule: the "populations légales" of vintage N-3 are in force from 1 January N.
        "population_vintage": str(int(year) - 3) if year else None,
        "population": "population municipale (INSEE)",
        "counts": {name: len(rows) for name, rows in tables.items()},
    }

    out.mkdir(parents=True, exist_ok=True)
    headers = {
        "communes": COMMUNE_HEADER,
        "epci": EPCI_HEADER,
        "departements": DEPARTEMENT_HEADER,
        "regions": REGION_HEADER,
    }
    sizes = {}
    for name, rows in tables.items():
        payload = csv_gz_bytes(headers[name], rows)
        write_atomic(out / f"{name}.csv.gz", payload)
        sizes[name] = len(payload)
    write_atomic(
        out / "meta.json", (json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    )

    if not quiet:
        for name, size in sizes.items():
            console.print(f"{name + '.csv.gz':<22} {meta['counts'][name]:>6} lignes  {size / 1024:7.1f} Kio")
        console.print(f"Total {sum(sizes.values()) / 1024:.1f} Kio dans {out}")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, help="dossier d'un paquet déjà décompressé")
    parser.add_argument("--version", default=DEFAULT_VERSION, help=f"version npm (défaut {DEFAULT_VERSION})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="dossier de sortie")
    parser.add_argument("--quiet", action="store_true", help="sans barre de progression")
    args = parser.parse_args(argv)
    try:
        if args.source is not None:
            refresh(args.source, args.out, quiet=args.quiet)
        else:
            with tempfile.TemporaryDirectory(prefix="parvis-ref-") as tmp:
                refresh(npm_install(args.version, Path(tmp)), args.out, quiet=args.quiet)
    except (SourceError, OSError, KeyError, ValueError) as exc:
        console.print(f"[red]Erreur : {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
