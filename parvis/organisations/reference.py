"""Reference data of French authorities: communes, EPCI, départements, régions.

Read from the compact extract in ``data/`` (written by ``scripts/refresh_reference_data.py`` from
``@etalab/decoupage-administratif``). Pure Python: no Django, no network. The data is loaded once, on
first use, and indexed so that a search over ~37,000 entries takes a few milliseconds.

    search("saint etienne")            -> [RefEntry(kind="commune", code="42218", ...), ...]
    search("62041"), search("62000")   -> by INSEE code, SIREN, département/région code, postal code prefix
    get("epci", "200033579")           -> RefEntry | None
    credit()                           -> the French credit line to show in the UI
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

KINDS = ("commune", "epci", "departement", "region")
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}

DEFAULT_TIMEZONE = "Europe/Paris"
# Overseas départements and collectivités by their INSEE code (also their code as a "région" for the COM).
TIMEZONES_BY_CODE = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}
# The five overseas régions have two-digit codes that collide with metropolitan départements (01 = Ain).
TIMEZONES_BY_REGION = {
    "01": "America/Guadeloupe",
    "02": "America/Martinique",
    "03": "America/Cayenne",
    "04": "Indian/Reunion",
    "06": "Indian/Mayotte",
    **TIMEZONES_BY_CODE,
}

MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 12
# Common abbreviations in typed names: "st etienne" must find Saint-Étienne.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def timezone_for(departement: str | None, region: str | None = None) -> str:
    """IANA time zone of an authority from its département code, else its région code."""
    if departement and departement in TIMEZONES_BY_CODE:
        return TIMEZONES_BY_CODE[departement]
    if region and region in TIMEZONES_BY_REGION:
        return TIMEZONES_BY_REGION[region]
    return DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class RefEntry:
    kind: str  # "commune" | "epci" | "departement" | "region"
    code: str  # INSEE code (commune), département or région code, SIREN (EPCI)
    siren: str | None
    name: str
    population: int | None
    departement: str | None
    region: str | None
    timezone: str
    nature: str = ""  # EPCI only: CC, CA, CU, METRO, MET69
    members: tuple[str, ...] = ()  # EPCI only: INSEE codes of the member communes
    postal_codes: tuple[str, ...] = ()  # communes only


_SEPARATORS = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def normalize(text: str) -> str:
    """Lower case, no accents, every run of non-alphanumerics (hyphen, apostrophe, emoji…) = one space."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", text).strip()


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _read_csv(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rb") as fh:
        return list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8", newline="")))


class ReferenceIndex:
    """All entries of one data directory, with the indexes that make search fast."""

    def __init__(self, data_dir: Path | str = DATA_DIR):
        self.data_dir = Path(data_dir)
        self.meta: dict = json.loads((self.data_dir / "meta.json").read_text(encoding="utf-8"))
        entries = self._load()
        # Entry ids are ranks: population descending, so sorting ids sorts by population.
        entries.sort(key=lambda e: (-(e.population or 0), _KIND_ORDER[e.kind], normalize(e.name), e.code))
        self.entries: list[RefEntry] = entries
        self._by_key: dict[tuple[str, str], RefEntry] = {(e.kind, e.code): e for e in entries}
        self._spaced: list[str] = []
        self._by_name: dict[str, list[int]] = {}
        self._by_code: dict[str, list[int]] = {}
        postings: dict[str, list[int]] = {}
        postal: list[tuple[str, int]] = []
        for i, entry in enumerate(entries):
            norm = normalize(entry.name)
            self._spaced.append(f" {norm} ")
            self._by_name.setdefault(norm, []).append(i)
            for word in set(norm.split()):
                postings.setdefault(word, []).append(i)
            self._by_code.setdefault(entry.code.upper(), []).append(i)
            if entry.siren and entry.siren != entry.code:
                self._by_code.setdefault(entry.siren, []).append(i)
            postal.extend((cp, i) for cp in entry.postal_codes)
        self._vocab: list[str] = sorted(postings)
        self._postings: list[list[int]] = [postings[w] for w in self._vocab]
        self._cumulative: list[int] = [0]
        for ids in self._postings:
            self._cumulative.append(self._cumulative[-1] + len(ids))
        postal.sort()
        self._postal_codes = [cp for cp, _ in postal]
        self._postal_ids = [i for _, i in postal]

    # -------------------------------------------------------------------------------------- loading

    def _load(self) -> list[RefEntry]:
        d = self.data_dir
        entries: list[RefEntry] = []
        communes = _read_csv(d / "communes.csv.gz")
        commune_place: dict[str, tuple[str, str, int]] = {}
        for row in communes:
            pop = _int(row["population"])
            commune_place[row["code"]] = (row["departement"], row["region"], pop or 0)
            entries.append(
                RefEntry(
                    kind="commune",
                    code=row["code"],
                    siren=row["siren"] or None,
                    name=row["name"],
                    population=pop,
                    departement=row["departement"] or None,
                    region=row["region"] or None,
                    timezone=timezone_for(row["departement"], row["region"]),
                    postal_codes=tuple(row.get("postal_codes", "").split()),
                )
            )
        for row in _read_csv(d / "epci.csv.gz"):
            members = tuple(row["members"].split())
            dept, region = self._main_place(members, commune_place)
            entries.append(
                RefEntry(
                    kind="epci",
                    code=row["siren"],
                    siren=row["siren"],
                    name=row["name"],
                    population=_int(row["population"]),
                    departement=dept,
                    region=region,
                    timezone=timezone_for(dept, region),
                    nature=row["nature"],
                    members=members,
                )
            )
        for row in _read_csv(d / "departements.csv.gz"):
            entries.append(
                RefEntry(
                    kind="departement",
                    code=row["code"],
                    siren=None,
                    name=row["name"],
                    population=_int(row["population"]),
                    departement=row["code"],
                    region=row["region"] or None,
                    timezone=timezone_for(row["code"], row["region"]),
                )
            )
        for row in _read_csv(d / "regions.csv.gz"):
            entries.append(
                RefEntry(
                    kind="region",
                    code=row["code"],
                    siren=None,
                    name=row["name"],
                    population=_int(row["population"]),
                    departement=None,
                    region=row["code"],
                    timezone=timezone_for(None, row["code"]),
                )
            )
        return entries

    @staticmethod
    def _main_place(members, commune_place) -> tuple[str | None, str | None]:
        """An EPCI may straddle départements: keep the one holding most of its population."""
        weight: dict[tuple[str, str], int] = {}
        for code in members:
            if code in commune_place:
                dept, region, pop = commune_place[code]
                weight[(dept, region)] = weight.get((dept, region), 0) + pop + 1
        if not weight:
            return None, None
        dept, region = max(sorted(weight), key=lambda k: weight[k])
        return dept or None, region or None

    # --------------------------------------------------------------------------------------- search

    def get(self, kind: str, code: str) -> RefEntry | None:
        return self._by_key.get((kind, str(code).strip().upper()))

    def search(self, query: str, *, kinds: Iterable[str] | None = None, limit: int = 20) -> list[RefEntry]:
        if not isinstance(query, str) or limit <= 0:
            return []
        wanted = self._kinds(kinds)
        query = query[:MAX_QUERY_CHARS]
        norm = normalize(query)
        if not norm:
            return []
        tokens = norm.split()
        if len(tokens) > MAX_QUERY_TOKENS:
            return []
        expanded = " ".join(_ABBREVIATIONS.get(t, t) for t in tokens)

        exact: set[int] = set(self._by_name.get(norm, ())) | set(self._by_name.get(expanded, ()))
        others: set[int] = set()
        compact = norm.replace(" ", "").upper()
        if any(ch.isdigit() for ch in compact):
            exact |= set(self._by_code.get(compact, ()))
            if compact.isdigit() and 2 <= len(compact) <= 5:
                others |= self._postal_prefix(compact)
        others |= self._word_prefix(tokens)

        results: list[RefEntry] = []
        for group in (sorted(exact), sorted(others - exact)):
            for i in group:
                entry = self.entries[i]
                if entry.kind in wanted:
                    results.append(entry)
                    if len(results) >= limit:
                        return results
        return results

    @staticmethod
    def _kinds(kinds: Iterable[str] | None) -> frozenset[str]:
        if kinds is None:
            return frozenset(KINDS)
        wanted = frozenset([kinds] if isinstance(kinds, str) else kinds)
        unknown = wanted - set(KINDS)
        if unknown:
            raise ValueError(f"Type de collectivité inconnu : {', '.join(sorted(unknown))}")
        return wanted

    def _prefix_range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self._vocab, prefix)
        hi = bisect.bisect_left(self._vocab, prefix + "\uffff", lo)
        return lo, hi

    def _token_ids(self, token: str) -> set[int]:
        lo, hi = self._prefix_range(token)
        ids: set[int] = set()
        for k in range(lo, hi):
            ids.update(self._postings[k])
        full = _ABBREVIATIONS.get(token)
        if full is not None:
            lo, hi = self._prefix_range(full)
            if lo < hi and self._vocab[lo] == full:
                ids.update(self._postings[lo])
        return ids

    def _word_prefix(self, tokens: list[str]) -> set[int]:
        """Entries where every query token is the prefix of a word of the name."""

        # Start from the most selective token (fewest postings), then filter the candidates.
        def postings_count(token: str) -> int:
            count = 0
            for prefix in (token, _ABBREVIATIONS.get(token)):
                if prefix:
                    lo, hi = self._prefix_range(prefix)
                    count += self._cumulative[hi] - self._cumulative[lo]
            return count

        first = min(tokens, key=postings_count)
        ids = self._token_ids(first)
        rest = [t for t in tokens if t != first]
        if not rest:
            return ids
        # " token" in " name words " <=> token is the prefix of a word (a C-speed substring test).
        needles = [(" " + t, f" {_ABBREVIATIONS[t]} " if t in _ABBREVIATIONS else None) for t in rest]
        spaced = self._spaced
        return {
            i
            for i in ids
            if all(
                prefix in spaced[i] or (full is not None and full in spaced[i]) for prefix, full in needles
            )
        }

    def _postal_prefix(self, prefix: str) -> set[int]:
        lo = bisect.bisect_left(self._postal_codes, prefix)
        hi = bisect.bisect_left(self._postal_codes, prefix + "\uffff", lo)
        return set(self._postal_ids[lo:hi])

    # --------------------------------------------------------------------------------------- credit

    def credit(self) -> str:
        m = self.meta
        parts = [
            f"Source : découpage administratif, paquet {m.get('package', '')} {m.get('version', '')}".strip()
        ]
        if m.get("data_year"):
            parts[0] += f" (millésime {m['data_year']})"
        parts[0] += ", d'après l'INSEE, la DGCL et La Poste"
        if m.get("population_vintage"):
            vintage = f"populations légales INSEE {m['population_vintage']}"
            if m.get("data_year"):
                vintage += f" en vigueur en {m['data_year']}"
            parts.append(vintage)
        parts.append(m.get("licence") or "Licence Ouverte / Open Licence 2.0")
        if m.get("source"):
            parts.append(m["source"])
        return " — ".join(parts) + "."


_index: ReferenceIndex | None = None
_lock = threading.Lock()


def index() -> ReferenceIndex:
    """The index of the vendored data, built once per process on first use."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = ReferenceIndex(DATA_DIR)
    return _index


def search(query: str, *, kinds: Iterable[str] | None = None, limit: int = 20) -> list[RefEntry]:
    """Authorities matching a name (prefix of words, case- and accent-insensitive) or a code.

    Exact matches (same name, INSEE code, SIREN, département/région code) come first, then the
    other matches; within each group, by population descending.
    """
    return index().search(query, kinds=kinds, limit=limit)


def get(kind: str, code: str) -> RefEntry | None:
    """One authority by kind and code (INSEE code for communes, SIREN for EPCI)."""
    return index().get(kind, code)


def credit() -> str:
    """The French credit line for the UI: source, version, licence, population vintage."""
    return index().credit()
