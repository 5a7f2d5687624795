"""Comment-vote counting: which candidate a comment designates, and the tally of a contest.

Counting rules (issue "Comment-vote battles"; docs/contests.md gives them in French with examples):

- A comment designates candidate k when it holds k as a standalone vote token: "2", "le 2", "n°2",
  "numéro 2", "#2", "vote 2", "team 2", the keycap 2️⃣, a spelled number after a vote cue ("le deux",
  "numéro trois", or the spelled number alone as the whole comment); or the candidate's handle
  (case-insensitive, with or without @); or the candidate's name (or an alias) as whole words, case and
  accents ignored. The article "un" is never a vote; "le un" / "numéro un" are.
- Numbers that are quantities, times, dates, ages, scores, ratings, ordinals or parts of other numbers are
  not votes: "2 enfants", "à 2h", "le 2 mai", "2 ans", "2-1", "12", "2,5", "10/10", "2e", "+1", "les 2".
- A bare number inside a sentence needs a vote cue before it ("le", "pour", "vote", "team", "go"…);
  at the start or the end of a clause it needs none ("2 !", "Allez, 2", "2 c'est le meilleur").
- A negated or disparaging designation does not count: "pas le 1", "sauf le 2", "le 1 est nul",
  "nul le 1". The check looks only within the designation's own clause (cut at . , ; ! ? and "mais")
  and never past a neighbouring designation, so "pas le 1 mais le 2" designates 2.
- One candidate designated → that vote; several → `multiple_candidates`; none → `no_designation`.
  Excluded author → `excluded_author`. Outside [opens_at, closes_at) → `outside_window` (instants are
  compared, offsets included). Per author only one counted vote: the last (mode "last", default) or the
  first (mode "first") by (instant, comment id); the others → `superseded`. A comment with no or several
  designations cancels nothing. Replies count like comments. A repeated comment id is the same comment:
  only its first occurrence is judged.

Speed: one precompiled regex scan per distinct text (results are cached per text, since battle comments
repeat a lot), a few cheap checks per match, and three flat lists for the decisions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

COUNTED = "counted"
SUPERSEDED = "superseded"
NO_DESIGNATION = "no_designation"
MULTIPLE_CANDIDATES = "multiple_candidates"
EXCLUDED_AUTHOR = "excluded_author"
OUTSIDE_WINDOW = "outside_window"
REASONS = (COUNTED, SUPERSEDED, NO_DESIGNATION, MULTIPLE_CANDIDATES, EXCLUDED_AUTHOR, OUTSIDE_WINDOW)

MODES = ("last", "first")
MULTIPLE = -1  # designate() result when two or more candidates are designated; 0 means none


class ContestError(ValueError):
    """A contest definition that cannot be counted; the message is French and names the field."""


# --- folding: lower case, accents removed, typographic variants unified -----------------------------------


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)).lower()
        if base != ch and base.isascii():
            table[cp] = base
    table.update(
        {
            ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss",
            ord("’"): "'", ord("‘"): "'", ord("ʼ"): "'", ord("`"): "'", ord("´"): "'",
            ord("º"): "°",  # masculine ordinal indicator written for "n°"
            ord("–"): "-", ord("—"): "-", ord("‑"): "-", ord("−"): "-",
            0xA0: " ", 0x202F: " ", 0x2009: " ", 0x2007: " ",
            ord("＃"): "#", ord("＠"): "@",
            0x0301: None, 0x0300: None, 0x0302: None, 0x0308: None, 0x0327: None,  # stray combining marks
        }
    )
    return table


_FOLD = _build_fold_table()


def fold(text: str) -> str:
    """Lower case without accents ("Élodie" → "elodie"); the form every comparison uses."""
    text = text.lower()
    if not text.isascii():
        text = text.translate(_FOLD)
    return text


def fold_handle(handle: str) -> str:
    return fold(handle.strip()).lstrip("@")


# --- vocabulary ---------------------------------------------------------------------------------------------

SPELLED = {
    "un": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "dix-sept": 17, "dix-huit": 18, "dix-neuf": 19, "vingt": 20,
}

_MONTHS = (
    "janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
    "|janv|fevr?|avr|juil|sept|oct|nov|dec"
)
# Words after a number that make it a quantity, a duration, an age, a date or a price.
_UNITS = (
    "ans?|annees?|mois|semaines?|jours?|nuits?|heures?|h|minutes?|mins?|mn|secondes?|sec|siecles?|fois"
    "|enfants?|gosses?|bebes?|personnes?|gens|amis?|amies?|copains?|copines?|freres?|soeurs?|filles?|fils"
    "|garcons?|petits?-enfants?|habitants?|participants?|candidats?|candidates?|finalistes?"
    "|euros?|eur|centimes?|cts?|balles|dollars?|kilos?|kg|g|km|m|cm|metres?|litres?|l"
    "|places?|points?|pts?|buts?|likes?|votes?|voix|commentaires?|coms?|vues|abonnes?|followers?"
    "|photos?|videos?|etoiles?|tours?|parts?|chances?|et\\s+demie?|a\\s+\\d+|a\\s+la\\s+suite"
    "|sur\\s+\\d+|contre\\s+\\d+|" + _MONTHS
)
# What after a number makes it not a vote: a unit word, a score/time/decimal continuation, a thousands group.
_AFTER_BAD = re.compile(rf"\s*(?:(?:{_UNITS})(?![\w])|[%€$£°]|[-:/,.]\s*\d|\d{{3}}(?!\d))")
# What before a number makes it not a vote: a score or rating ("2 - ", "1 à ", "10 sur "), plural
# determiners ("les 2" = both), verbs of quantity ("j'en ai 2", "ils sont 2"), "à" (a time: "à 2").
_BEFORE_BAD = re.compile(
    r"(?:\d\s*(?:[-:/]|a|contre|sur)\s*"
    r"|(?<![\w'])(?:les|des|mes|tes|ses|nos|vos|leurs|ces|aux|tous|toutes|sont|sommes|etes|ai|as|a|ont"
    r"|avons|avez|en|y|de|dans|depuis|plus|moins|entre|environ|que|qu'il|avec|sur|par|chez|fait|font"
    r"|vers|apres|avant)\s+)$"
)
# Vote cues: a bare number right after one of these is a vote even inside a sentence.
_CUE_BEFORE = re.compile(
    r"(?:(?<![\w'])(?:le|la|l'|au|du|pour|vote|votes|votez|voter|team|go|allez|numero|num|no|n|candidat"
    r"|candidate|bravo|force|favori|favorite|choix|mon|ma|c'est)\s*[:.]?\s*|[#°]\s*|\bn°\s*)$"
)
_ATTACHED_CUE = re.compile(r"(?:^|[^\w])(?:team|vote|numero|num)$")
# Clause boundaries: punctuation and "mais".
_BOUNDARY = re.compile(r"[.!?;,\n]|\bmais\b")
_LAST_BOUNDARY = re.compile(r".*(?:[.!?;,\n]|\bmais\b)", re.DOTALL)
_HAS_WORD = re.compile(r"[^\W_]")
# Negation before a designation ("pas le 1", "sauf le 2", "tout sauf", "ni le 3"), minus positive idioms.
_NEGATION = re.compile(
    r"(?<![\w'])(?:(?<!hesite\s)(?<!hesitez\s)(?<!hesites\s)pas(?!\s+(?:mal|photo|de\s+doute|d'hesitation"
    r"|besoin|une\s+seconde|d'autre))|sauf|jamais|ni|contre|hormis|excepte|plutot\s+que|au\s+lieu\s+d"
    r"|nul|nulle|naze|nase|bof|pire|deteste|boycott)(?![\w])"
)
# Disparagement after a designation ("le 1 est nul", "le 3 c'est pas ouf", "le 2 dehors").
_DISPARAGING = re.compile(
    r"(?<![\w'])(?:nul|nulle|nuls|nulles|naze|nazes|nase|mauvais|mauvaise|pourri|pourrie|horrible"
    r"|catastrophique|catastrophe|moche|ridicule|bof|nullissime|a\s+chier|dehors|degage|elimine|eliminee"
    r"|pas\s+(?:ouf|terrible|top|fou|folle|bon|bonne|beau|belle|bien|genial|geniale|au\s+niveau|fort"
    r"|forte|dingue|terrible)|aucun\s+talent|(?:ne\s+)?merite\s+pas|j'aime\s+pas|deteste|nul\s+a\s+chier"
    r"|sans\s+talent|zero)(?![\w])"
)
_SPELLED_CUE = re.compile(
    r"(?<![\w'])(?:le|la|numero|num|n°|no|vote|votez|team|candidat|candidate|pour)\s*$|n°\s*$"
)
_DIGIT_ANY = re.compile("[0-9\U0001f51f]")
_DIGITS = re.compile("[0-9]+(?:\ufe0f?\u20e3(?:[0-9]\ufe0f?\u20e3)*)?|\U0001f51f")
_WORDS_SEP = re.compile(r"[\s\-'_.]+")


# --- candidates and contest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    number: int
    handle: str = ""
    name: str = ""
    aliases: tuple[str, ...] = ()  # other names voters use, e.g. the first name alone


@dataclass(frozen=True)
class Contest:
    candidates: tuple[Candidate, ...]
    opens_at: datetime
    closes_at: datetime
    excluded_authors: frozenset[str] = frozenset()  # handles or author ids, folded, without "@"
    mode: str = "last"

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ContestError("« candidates » : le concours n'a aucun candidat.")
        numbers = [c.number for c in self.candidates]
        if any(type(n) is not int or n < 1 for n in numbers):
            raise ContestError("« candidates » : chaque numéro doit être un entier supérieur ou égal à 1.")
        if len(set(numbers)) != len(numbers):
            raise ContestError("« candidates » : deux candidats portent le même numéro.")
        handles = [fold_handle(c.handle) for c in self.candidates if c.handle.strip()]
        if len(set(handles)) != len(handles):
            raise ContestError("« candidates » : deux candidats ont le même compte (handle).")
        for name, value in (("opens_at", self.opens_at), ("closes_at", self.closes_at)):
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ContestError(f"« {name} » : date et heure avec fuseau attendues (ISO 8601, ex. "
                                   "2026-05-12T20:00:00+02:00).")
        if self.closes_at <= self.opens_at:
            raise ContestError("« closes_at » : la clôture doit être postérieure à l'ouverture (« opens_at »).")
        if self.mode not in MODES:
            raise ContestError(f"« mode » : « {self.mode} » inconnu ; valeurs possibles : « last » (le dernier "
                               "vote compte) ou « first » (le premier vote compte).")


def parse_instant(value: str, field_name: str = "created_at") -> datetime:
    """An ISO 8601 instant that must carry its offset ("Z" or "+02:00")."""
    if not isinstance(value, str):
        raise ValueError(f"« {field_name} » : date ISO 8601 attendue, reçu {type(value).__name__}.")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"« {field_name} » : « {value} » n'est pas une date ISO 8601.") from None
    if at.utcoffset() is None:
        raise ValueError(f"« {field_name} » : « {value} » n'a pas de fuseau horaire (ajoutez Z ou +02:00).")
    return at


_OFFSETS: dict[str, timedelta] = {"Z": timedelta(0)}
_fromiso = datetime.fromisoformat


def utc_instant(value: str | datetime) -> datetime:
    """The instant as a naive UTC datetime, the form the tally compares (naive comparisons are several
    times faster than aware ones). Accepts an aware datetime or an ISO 8601 string with its offset."""
    if type(value) is str:
        text = value
        if (len(text) == 25 or len(text) == 20) and text[10] == "T":  # "2026-05-12T20:00:00+02:00", "…Z"
            delta = _OFFSETS.get(text[19:])
            if delta is not None:
                try:
                    return _fromiso(text[:19]) - delta
                except ValueError:
                    pass  # the general path below names the problem
        value = parse_instant(text)
        if len(text) == 25 and len(_OFFSETS) < 64:
            _OFFSETS[text[19:]] = value.utcoffset()  # this offset seen once: the next ones go fast
    elif not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError("« created_at » : date et heure avec fuseau attendues.")
    return value.replace(tzinfo=None) - value.utcoffset()


def contest_from_dict(data: object) -> Contest:
    """Build a Contest from the CONTEST.json object; French errors name the field at fault."""
    if not isinstance(data, Mapping):
        raise ContestError("Le fichier du concours doit contenir un objet JSON.")
    raw = data.get("candidates")
    if not isinstance(raw, list) or not raw:
        raise ContestError("« candidates » : liste de candidats attendue ([{number, handle, name}]).")
    candidates = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            raise ContestError(f"« candidates » n°{i} : objet {{number, handle, name}} attendu.")
        number = item.get("number")
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number)
        if type(number) is not int:
            raise ContestError(f"« candidates » n°{i} : « number » doit être un entier.")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ContestError(f"« candidates » n°{i} : « aliases » doit être une liste de textes.")
        handle, name = item.get("handle") or "", item.get("name") or ""
        if not isinstance(handle, str) or not isinstance(name, str):
            raise ContestError(f"« candidates » n°{i} : « handle » et « name » doivent être des textes.")
        candidates.append(Candidate(number, handle, name, tuple(aliases)))
    instants = {}
    for key in ("opens_at", "closes_at"):
        if key not in data:
            raise ContestError(f"« {key} » manque (date ISO 8601 avec fuseau).")
        try:
            instants[key] = parse_instant(data[key], key)
        except ValueError as exc:
            raise ContestError(str(exc)) from None
    excluded = data.get("excluded_authors") or []
    if not isinstance(excluded, list) or not all(isinstance(a, str | int) for a in excluded):
        raise ContestError("« excluded_authors » : liste de comptes (handles) attendue.")
    mode = data.get("mode") or "last"
    return Contest(
        candidates=tuple(candidates),
        opens_at=instants["opens_at"],
        closes_at=instants["closes_at"],
        # Folded handles, plus the raw values, since author ids are compared exactly.
        excluded_authors=frozenset(fold_handle(str(a)) for a in excluded) | {str(a).strip() for a in excluded},
        mode=mode,
    )


# --- designation ----------------------------------------------------------------------------------------------


_SEP_ATOM, _SPACES_ATOM = "\x00sep", "\x00spaces"
_ATOM_PATTERN = {_SEP_ATOM: r"[\s\-'_.]+", _SPACES_ATOM: r"\s*"}


def _trie_pattern(alternatives: Iterable[tuple[str, ...]]) -> str:
    """One regex for many literal alternatives, factored by common prefixes so the engine tests each
    position against a handful of characters instead of every alternative. Longer matches win."""
    root: dict = {}
    for atoms in alternatives:
        node = root
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict) -> str:
        terminal = "" in node
        branches = [(_ATOM_PATTERN.get(a) or re.escape(a)) + emit(child) for a, child in node.items() if a]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not terminal else "(?:" + "|".join(branches) + ")"
        if len(branches) == 1 and not terminal:
            return body
        return body + ("?" if terminal else "")

    return emit(root)


def _atoms(words: list[str], sep: str = _SEP_ATOM) -> tuple[str, ...]:
    atoms: list[str] = []
    for i, word in enumerate(words):
        if i:
            atoms.append(sep)
        atoms.extend(word)
    return tuple(atoms)


class Designator:
    """Finds which candidates a comment designates. Build once per contest; `designate` is cached per text.

    Two scans per folded text, both starting with a literal or a character set so the regex engine skips
    ahead in C: digit runs and keycaps, then the literal words (handles, names, aliases, spelled numbers).
    Word boundaries, cues and contexts are checked in Python on the few matches only."""

    def __init__(self, candidates: Iterable[Candidate], cache_size: int = 200_000):
        self.candidates = tuple(candidates)
        self.numbers = frozenset(c.number for c in self.candidates)
        self._kind: dict[str, tuple[str, int]] = {}  # folded token → (kind, candidate number)
        alternatives: list[tuple[str, ...]] = []
        for c in self.candidates:
            h = fold_handle(c.handle)
            if h:
                self._kind[h] = ("h", c.number)
                alternatives.append(tuple(h))
            for label in (c.name, *c.aliases):
                words = [w for w in _WORDS_SEP.split(fold(label)) if w]
                if words:
                    self._kind[" ".join(words)] = ("nm", c.number)
                    alternatives.append(_atoms(words))
        for word, number in SPELLED.items():
            if number in self.numbers and word != "un" and word not in self._kind:
                self._kind[word] = ("sp", number)
                alternatives.append(tuple(word))
        if 1 in self.numbers:
            # "un" is an article: only "le un", "numéro un", "n° un", "team un" designate 1.
            for cue in ("le", "numero", "num", "n°", "team"):
                alternatives.append(_atoms([cue, "un"], _SPACES_ATOM))
        self._words = re.compile(_trie_pattern(alternatives)) if alternatives else None
        self._cache: dict[str, int] = {}
        self._cache_size = cache_size

    # The result: 0 = no designation, MULTIPLE = several candidates, k = candidate k.
    def designate(self, text: str) -> int:
        cache = self._cache
        if not self._cache_size:
            return self._designate(text)
        hit = cache.get(text)
        if hit is not None:
            return hit
        result = self._designate(text)
        if len(cache) >= self._cache_size:
            cache.clear()
        cache[text] = result
        return result

    def designated(self, text: str) -> frozenset[int]:
        """Every candidate the text designates (for explanations and tests); uncached."""
        return frozenset(n for n, _s, _e in self._matches(fold(text)) if n)

    def _designate(self, text: str) -> int:
        found = self._matches(fold(text))
        chosen = 0
        for number, _start, _end in found:
            if number:
                if chosen and number != chosen:
                    return MULTIPLE
                chosen = number
        return chosen

    def _matches(self, s: str) -> list[tuple[int, int, int]]:
        """Designations as (number, start, end); number 0 once negated or disparaged."""
        found: list[list[int]] = []
        numbers = self.numbers
        first = _DIGIT_ANY.search(s)
        for m in _DIGITS.finditer(s, first.start()) if first else ():
            token = m.group()
            start, end = m.span()
            if token == "\U0001f51f":
                number = 10
            elif "\u20e3" in token:
                number = int("".join(ch for ch in token if "0" <= ch <= "9"))
            else:
                number = self._number_vote(s, start, end)
                if number:
                    found.append([number, start, end])
                continue
            if number in numbers:
                found.append([number, start, end])
        first = self._words.search(s) if self._words is not None else None
        if first is not None:
            digits_found = len(found)
            for m in self._words.finditer(s, first.start()):
                number, start = self._word_vote(s, m)
                if number:
                    found.append([number, start, m.end()])
            if digits_found and len(found) > digits_found:
                found.sort(key=lambda item: item[1])
        if not found:
            return []
        # Negation and disparagement, each within the designation's clause and its neighbours' limits.
        previous_end = 0
        last = len(found) - 1
        for i, item in enumerate(found):
            _number, start, end = item
            lo = previous_end
            cut = _LAST_BOUNDARY.match(s, lo, start)
            if cut:
                lo = cut.end()
            hi = found[i + 1][1] if i < last else len(s)
            cut = _BOUNDARY.search(s, end, hi)
            if cut:
                hi = cut.start()
            if _NEGATION.search(s, lo, start) or _DISPARAGING.search(s, end, hi):
                item[0] = 0
            previous_end = end
        return [(n, a, b) for n, a, b in found]

    def _word_vote(self, s: str, m: re.Match) -> tuple[int, int]:
        """(candidate, start) for a literal word match, or (0, 0) when it is part of a longer word."""
        start, end = m.span()
        if end < len(s):
            nxt = s[end]
            if nxt.isalnum() or nxt == "_" or nxt == "-" and end + 1 < len(s) and s[end + 1].isalpha():
                return 0, 0
        token = m.group()
        kind = self._kind.get(token)
        if kind is None:
            kind = self._kind.get(" ".join(w for w in _WORDS_SEP.split(token) if w), ("un", 1))
        what, number = kind
        prev = s[start - 1] if start else " "
        if what == "h":
            if prev == "@":
                prev = s[start - 2] if start > 1 else " "
            if prev.isalnum() or prev in "_.@":
                return 0, 0
            if end + 1 < len(s) and s[end] == "." and (s[end + 1].isalnum() or s[end + 1] == "_"):
                return 0, 0  # a longer handle: "enza_berger.fan"
            return number, start
        if prev.isalnum() or prev in "_@":
            return 0, 0
        if what == "nm":
            return number, start
        if _AFTER_BAD.match(s, end):
            return 0, 0  # "le deux mai", "le un et demi"
        if what == "un":
            return number, start
        # A spelled number: after a vote cue ("le deux", "vote trois"), or alone as the whole comment.
        cue = _SPELLED_CUE.search(s, max(0, start - 12), start)
        if cue:
            return number, cue.start()
        if not _HAS_WORD.search(s, 0, start) and not _HAS_WORD.search(s, end):
            return number, start
        return 0, 0

    def _number_vote(self, s: str, start: int, end: int) -> int:
        """The candidate a digit run votes for, or 0 when it is a quantity, a time, a date, a score…"""
        digits = s[start:end]
        if digits[0] == "0" or end - start > 3:
            return 0  # "06 12…", "02/05", years
        number = int(digits)
        if number not in self.numbers:
            return 0
        size = len(s)
        if end < size:
            nxt = s[end]
            if nxt.isalnum() or nxt == "_" or nxt in "%€$£°+":
                return 0  # "2h", "2e", "2ans", "2x", "2%", "2°"
            if nxt in ".,:/-" and end + 1 < size and s[end + 1].isdigit():
                return 0  # "2,5", "2.5", "14:30", "2-1", "1/2"
            if _AFTER_BAD.match(s, end):
                return 0  # "2 enfants", "le 2 mai", "2 - 1", "2 à 1", "2 000"
        cue = False
        if start:
            prev = s[start - 1]
            if prev.isalpha() or prev == "_":
                if not _ATTACHED_CUE.search(s, max(0, start - 8), start):
                    return 0  # "mp3", "covid19"; but "team2", "vote2"
                cue = True
            elif prev in "+-$€£*x×":
                return 0  # "+1" is agreement, "-2", "x2"
            elif prev in ".,:/" and start >= 2 and s[start - 2].isdigit():
                return 0
            elif prev in "#°":
                cue = True
        if not cue:
            lo = max(0, start - 24)
            if _BEFORE_BAD.search(s, lo, start):
                return 0
            cue = bool(_CUE_BEFORE.search(s, lo, start))
        if cue:
            return number
        # No cue: a bare number votes at the start or at the end of its clause only.
        before = s[:start]
        cut = _LAST_BOUNDARY.match(before)
        if cut:
            before = before[cut.end():]
        if not _HAS_WORD.search(before):
            return number
        after = s[end:]
        cut = _BOUNDARY.search(after)
        if cut:
            after = after[: cut.start()]
        if not _HAS_WORD.search(after):
            return number
        return 0


# --- tally ----------------------------------------------------------------------------------------------------


# Decision codes inside the tally: a positive code is a counted vote for that candidate number.
_CODE_REASON = {
    -1: SUPERSEDED, -2: NO_DESIGNATION, -3: MULTIPLE_CANDIDATES, -4: EXCLUDED_AUTHOR, -5: OUTSIDE_WINDOW,
}


@dataclass
class Tally:
    totals: dict[int, int]
    ids: list = field(default_factory=list)  # comment ids, input order, each id once
    codes: list[int] = field(default_factory=list)  # aligned with ids: candidate number, or -1…-5
    repeated_ids: int = 0  # lines whose id was already seen (ignored)

    @property
    def votes(self) -> list[int | None]:
        return [code if code > 0 else None for code in self.codes]

    @property
    def reasons(self) -> list[str]:
        table = _CODE_REASON
        return [COUNTED if code > 0 else table[code] for code in self.codes]

    def decision(self, comment_id) -> tuple[int | None, str]:
        code = self.codes[self.ids.index(comment_id)]
        return (code, COUNTED) if code > 0 else (None, _CODE_REASON[code])

    def as_json(self) -> dict:
        table = _CODE_REASON
        return {
            "totals": {str(n): v for n, v in sorted(self.totals.items())},
            "comments": [
                {"id": i, "vote": code, "reason": COUNTED} if code > 0
                else {"id": i, "vote": None, "reason": table[code]}
                for i, code in zip(self.ids, self.codes, strict=True)
            ],
        }

    def reason_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(REASONS, 0)
        for code in self.codes:
            counts[COUNTED if code > 0 else _CODE_REASON[code]] += 1
        return counts


def tally(contest: Contest, comments: Iterable[Mapping], designator: Designator | None = None) -> Tally:
    """Count the votes. Each comment is a mapping with `id`, `author_id`, `author_handle`, `text` and
    `created_at` (an aware datetime, or an ISO 8601 string with its offset); `parent_id` is ignored, since
    replies count like comments. Decisions come back in input order, each comment id once.

    The loop is written for speed (about 10^6 comments in a few seconds): locals only, one decision code
    per comment, the designation cache read inline."""
    designator = designator or Designator(contest.candidates)
    cache_get = designator._cache.get if designator._cache_size else {}.get
    designate = designator.designate
    instant, offsets, fromiso = utc_instant, _OFFSETS, _fromiso
    opens, closes = instant(contest.opens_at), instant(contest.closes_at)
    excluded = contest.excluded_authors
    last = contest.mode == "last"
    ids: list = []
    codes: list[int] = []
    ids_append, codes_append = ids.append, codes.append
    seen: set = set()
    seen_add = seen.add
    # author → index of the counted comment, and its instant. Ints and datetimes only: no tuples per
    # comment, so the cyclic garbage collector is not woken up to walk a million comments.
    best: dict = {}
    best_at: dict = {}
    repeated = 0
    for c in comments:
        cid = c["id"]
        if cid in seen:
            repeated += 1
            continue
        seen_add(cid)
        ids_append(cid)
        # ids and codes grow together; codes gets exactly one append per comment below.
        author = c.get("author_id")
        if author is None or author == "":
            author = fold_handle(c.get("author_handle") or "")
        if excluded:
            # Most handles are already folded (lower-case ASCII, no "@"): one set lookup, no folding.
            handle = c.get("author_handle")
            if (author if type(author) is str else str(author)) in excluded or handle and (
                handle in excluded
                or (handle[0] == "@" or not handle.islower() or not handle.isascii())
                and fold_handle(handle) in excluded
            ):
                codes_append(-4)
                continue
        at = c["created_at"]
        # The common "…T20:00:00+02:00" form inlined: a call per comment is measurable at 10^6 comments.
        delta = offsets.get(at[19:]) if type(at) is str and len(at) == 25 else None
        if delta is not None and at[10] == "T":
            try:
                at = fromiso(at[:19]) - delta
            except ValueError:
                at = instant(at)
        else:
            at = instant(at)
        if at < opens or at >= closes:
            codes_append(-5)
            continue
        text = c.get("text") or ""
        number = cache_get(text)
        if number is None:
            number = designate(text)
        if number <= 0:
            codes_append(-2 if number == 0 else -3)
            continue
        held = best.get(author)
        if held is None:
            best[author] = len(codes)
            best_at[author] = at
            codes_append(number)
            continue
        held_at = best_at[author]
        if at == held_at:  # same instant: the comment id decides, as text
            text_id = cid if type(cid) is str else str(cid)
            held_id = ids[held]
            held_id = held_id if type(held_id) is str else str(held_id)
            newer = text_id > held_id
        else:
            newer = at > held_at
        if newer is last:
            codes[held] = -1
            best[author] = len(codes)
            best_at[author] = at
            codes_append(number)
        else:
            codes_append(-1)
    totals = dict.fromkeys(sorted(c.number for c in contest.candidates), 0)
    for index in best.values():
        totals[codes[index]] += 1
    return Tally(totals=totals, ids=ids, codes=codes, repeated_ids=repeated)
