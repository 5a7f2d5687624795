"""Verifiable draw among eligible comments ("parvis-draw-v1").

Procedure (docs/contests.md explains it in French, with the commands to re-run it):

1. Eligibility: a comment enters when it is inside [opens_at, closes_at), its author is not excluded and,
   when the rules require keywords or an answer, it holds one of them (whole words, case and accents
   ignored). One entry per account: the account's earliest eligible comment (by instant, then comment id).
2. Entrants: the accounts' ids as text, deduplicated and sorted by Unicode code point. Their digest is
   "sha256:" + SHA-256 of the UTF-8 JSON array of that list, written without spaces
   (`json.dumps(entrants, ensure_ascii=False, separators=(",", ":"))`).
3. Seed: either committed before the contest opens (the organiser publishes sha256(seed) in hex with
   the rules and reveals the seed after the draw), or a public future value named in the rules (a lottery
   result, a drand round...), entered as text.
4. Randomness: block i = HMAC-SHA256(key = seed in UTF-8, message = i as 8 bytes big-endian), i = 0, 1, 2…
   read as a 256-bit big-endian integer r. A uniform integer below m is r mod m, after rejecting any
   r >= m * floor(2^256 / m) (and taking the next block): no modulo bias.
5. Order: partial Fisher–Yates on the sorted entrants: for j = 0 … k-1, u = uniform below (n - j),
   swap positions j and j + u. The first `winners` positions win, the next `substitutes` are the
   substitutes, in order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from parvis.domain.contests.votes import ContestError, fold, fold_handle, parse_instant

ALGORITHM = "parvis-draw-v1"
CERTIFICATE_FORMAT = "parvis-draw-certificate/1"

ENTERED = "entered"
DUPLICATE_ENTRY = "duplicate_entry"
EXCLUDED_AUTHOR = "excluded_author"
OUTSIDE_WINDOW = "outside_window"
MISSING_KEYWORD = "missing_keyword"

_TWO_256 = 1 << 256

HOW_TO_VERIFY = (
    "1. Vérifier que sha256(seed), en hexadécimal, est égal à seed_commitment publié avec le règlement "
    "(ou que seed est bien la valeur publique annoncée au règlement). "
    "2. Vérifier que entrants_digest est le SHA-256 du tableau JSON des participants (UTF-8, sans espaces) "
    "et que entrants_count est leur nombre. "
    "3. Relancer l'algorithme parvis-draw-v1 (documenté dans docs/contests.md) : "
    "`parvis contest draw --verify CERTIFICAT.json` recalcule gagnants et suppléants et signale tout écart ; "
    "avec --contest DRAW.json et COMMENTS.jsonl, il recalcule aussi la liste des participants."
)


class DrawError(ValueError):
    """A draw that cannot run as asked; the message is French."""


def commitment(seed: str) -> str:
    """The value published before the draw: SHA-256 of the seed's UTF-8 bytes, in lower-case hex."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def canonical_entrants(ids: Iterable[object]) -> list[str]:
    return sorted({str(i) for i in ids})


def entrants_digest(entrants: Sequence[str]) -> str:
    payload = json.dumps(list(entrants), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return "sha256:" + hashlib.sha256(payload).hexdigest()


class _Stream:
    """Uniform integers from HMAC-SHA256(seed, counter); counter shared by all draws of one run."""

    def __init__(self, seed: str):
        self._key = seed.encode("utf-8")
        self.counter = 0

    def _block(self) -> int:
        digest = hmac.new(self._key, self.counter.to_bytes(8, "big"), hashlib.sha256).digest()
        self.counter += 1
        return int.from_bytes(digest, "big")

    def below(self, m: int) -> int:
        limit = _TWO_256 - (_TWO_256 % m)  # largest multiple of m not above 2^256
        while True:
            r = self._block()
            if r < limit:
                return r % m


def shuffle_prefix(entrants: Sequence[str], seed: str, k: int) -> list[str]:
    """The first k entrants of the seeded partial Fisher–Yates shuffle of the canonical list."""
    pool = list(entrants)
    stream = _Stream(seed)
    k = min(k, len(pool))
    for j in range(k):
        u = stream.below(len(pool) - j)
        pool[j], pool[j + u] = pool[j + u], pool[j]
    return pool[:k]


def run_draw(
    entrants: Iterable[object],
    seed: str,
    *,
    winners: int = 1,
    substitutes: int = 0,
    seed_commitment: str | None = None,
    seed_source: str = "",
    title: str = "",
    handles: Mapping[str, str] | None = None,
) -> dict:
    """Draw winners and substitutes; returns the certificate (a JSON-ready dict)."""
    if not isinstance(seed, str) or not seed:
        raise DrawError("La graine (seed) est vide : indiquez la graine révélée ou la valeur publique annoncée.")
    if seed_commitment and commitment(seed) != seed_commitment.strip().lower():
        raise DrawError("La graine ne correspond pas à l'engagement publié (seed_commitment) : sha256(graine) = "
                        f"{commitment(seed)}, engagement = {seed_commitment}.")
    if type(winners) is not int or winners < 1:
        raise DrawError("Nombre de gagnants : un entier supérieur ou égal à 1 est attendu.")
    if type(substitutes) is not int or substitutes < 0:
        raise DrawError("Nombre de suppléants : un entier positif ou nul est attendu.")
    canonical = canonical_entrants(entrants)
    if not canonical:
        raise DrawError("Aucun participant éligible : pas de tirage possible.")
    picks = shuffle_prefix(canonical, seed, winners + substitutes)
    won, subs = picks[:winners], picks[winners:]
    handles = handles or {}
    return {
        "format": CERTIFICATE_FORMAT,
        "algorithm": ALGORITHM,
        "title": title,
        "entrants_count": len(canonical),
        "entrants_digest": entrants_digest(canonical),
        "entrants": canonical,
        "seed": seed,
        "seed_commitment": seed_commitment.strip().lower() if seed_commitment else None,
        "seed_source": seed_source or ("graine engagée avant le tirage" if seed_commitment else ""),
        "winners_count": winners,
        "substitutes_count": substitutes,
        "winners": won,
        "substitutes": subs,
        "handles": {i: handles[i] for i in picks if i in handles},
        "how_to_verify": HOW_TO_VERIFY,
    }


def verify_certificate(cert: object, entrants: Iterable[object] | None = None) -> list[str]:
    """Re-run the draw of a certificate. Returns the differences in French; empty means verified.
    `entrants`, when given (recomputed from the comments), must equal the certificate's list."""
    if not isinstance(cert, Mapping):
        return ["Le certificat doit être un objet JSON."]
    problems: list[str] = []
    if cert.get("algorithm") != ALGORITHM:
        return [f"Algorithme « {cert.get('algorithm')} » inconnu : seul {ALGORITHM} est vérifiable ici."]
    listed = cert.get("entrants")
    seed = cert.get("seed")
    won, subs = cert.get("winners"), cert.get("substitutes")
    for key, value in (("entrants", listed), ("winners", won), ("substitutes", subs)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [f"« {key} » : liste de textes attendue."]
    if not isinstance(seed, str) or not seed:
        return ["« seed » : la graine manque."]
    canonical = canonical_entrants(listed)
    if canonical != listed:
        problems.append("La liste des participants n'est pas canonique (doublons ou ordre modifié).")
    if cert.get("entrants_count") != len(listed):
        problems.append(f"Nombre de participants : le certificat indique {cert.get('entrants_count')}, "
                        f"la liste en contient {len(listed)}.")
    digest = entrants_digest(canonical)
    if cert.get("entrants_digest") != digest:
        problems.append(f"La liste des participants a changé : son empreinte est {digest}, le certificat "
                        f"indique {cert.get('entrants_digest')}.")
    if entrants is not None:
        source = canonical_entrants(entrants)
        if source != canonical:
            added = sorted(set(canonical) - set(source))
            missing = sorted(set(source) - set(canonical))
            detail = []
            if added:
                detail.append(f"en trop dans le certificat : {', '.join(added[:10])}")
            if missing:
                detail.append(f"absents du certificat : {', '.join(missing[:10])}")
            problems.append("La liste des participants diffère de celle recalculée depuis les commentaires ("
                            + " ; ".join(detail) + ").")
    committed = cert.get("seed_commitment")
    if committed and commitment(seed) != str(committed).strip().lower():
        problems.append(f"La graine ne correspond pas à l'engagement publié : sha256(seed) = {commitment(seed)}, "
                        f"seed_commitment = {committed}.")
    n_win = cert.get("winners_count", len(won))
    n_sub = cert.get("substitutes_count", len(subs))
    if type(n_win) is not int or type(n_sub) is not int or n_win < 1 or n_sub < 0:
        return [*problems, "« winners_count » / « substitutes_count » : entiers attendus."]
    picks = shuffle_prefix(canonical, seed, n_win + n_sub)
    expected_won, expected_subs = picks[:n_win], picks[n_win:]
    for label, got, expected in (("Gagnant", won, expected_won), ("Suppléant", subs, expected_subs)):
        for i in range(max(len(got), len(expected))):
            g = got[i] if i < len(got) else "(absent)"
            e = expected[i] if i < len(expected) else "(absent)"
            if g != e:
                problems.append(f"{label} n°{i + 1} : le certificat indique « {g} », le recalcul donne « {e} ».")
    return problems


# --- eligibility ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawConfig:
    opens_at: datetime
    closes_at: datetime
    excluded_authors: frozenset[str] = frozenset()
    required_keywords: tuple[str, ...] = ()  # any one of them is enough (accepted answers, or a keyword)
    winners: int = 1
    substitutes: int = 0
    seed_commitment: str | None = None
    seed_source: str = ""
    seed: str | None = None  # a public value already known can be written in the file
    title: str = ""


@dataclass
class Entrants:
    entrants: list[str]  # canonical: sorted account ids
    handles: dict[str, str] = field(default_factory=dict)
    decisions: list[tuple[object, str]] = field(default_factory=list)  # (comment id, reason), input order


def draw_config_from_dict(data: object) -> DrawConfig:
    if not isinstance(data, Mapping):
        raise ContestError("Le fichier du tirage doit contenir un objet JSON.")
    instants = {}
    for key in ("opens_at", "closes_at"):
        if key not in data:
            raise ContestError(f"« {key} » manque (date ISO 8601 avec fuseau).")
        try:
            instants[key] = parse_instant(data[key], key)
        except ValueError as exc:
            raise ContestError(str(exc)) from None
    if instants["closes_at"] <= instants["opens_at"]:
        raise ContestError("« closes_at » : la clôture doit être postérieure à l'ouverture (« opens_at »).")
    excluded = data.get("excluded_authors") or []
    if not isinstance(excluded, list):
        raise ContestError("« excluded_authors » : liste de comptes (handles) attendue.")
    keywords = data.get("required_keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
        raise ContestError("« required_keywords » : liste de mots-clés ou de réponses acceptées attendue.")
    counts = {}
    for key, default, low in (("winners", 1, 1), ("substitutes", 0, 0)):
        value = data.get(key, default)
        if type(value) is not int or value < low:
            raise ContestError(f"« {key} » : entier supérieur ou égal à {low} attendu.")
        counts[key] = value
    commitment_value = data.get("seed_commitment")
    if commitment_value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", str(commitment_value)):
        raise ContestError("« seed_commitment » : empreinte SHA-256 attendue (64 caractères hexadécimaux).")
    return DrawConfig(
        opens_at=instants["opens_at"],
        closes_at=instants["closes_at"],
        excluded_authors=frozenset(fold_handle(str(a)) for a in excluded),
        required_keywords=tuple(keywords),
        winners=counts["winners"],
        substitutes=counts["substitutes"],
        seed_commitment=commitment_value,
        seed_source=str(data.get("seed_source") or ""),
        seed=data.get("seed"),
        title=str(data.get("title") or ""),
    )


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern | None:
    parts = []
    for k in keywords:
        words = [w for w in re.split(r"[\s\-'_.]+", fold(k.strip())) if w]
        if words:
            parts.append(r"[\s\-'_.]+".join(re.escape(w) for w in words))
    if not parts:
        return None
    return re.compile(r"(?<![\w#@])[#@]?(?:" + "|".join(parts) + r")(?![\w])")


def eligible_entrants(config: DrawConfig, comments: Iterable[Mapping]) -> Entrants:
    """Apply the eligibility filters; one entry per account (its earliest eligible comment)."""
    pattern = _keyword_pattern(config.required_keywords)
    excluded = config.excluded_authors
    decisions: list[list] = []
    first: dict[str, tuple] = {}  # account → ((instant, comment id), index in decisions, handle)
    seen: set = set()
    for c in comments:
        cid = c["id"]
        if cid in seen:
            continue
        seen.add(cid)
        handle = c.get("author_handle") or ""
        author = c.get("author_id")
        account = str(author) if author not in (None, "") else fold_handle(handle)
        if (handle and fold_handle(handle) in excluded) or account in excluded:
            decisions.append([cid, EXCLUDED_AUTHOR])
            continue
        at = c["created_at"]
        if type(at) is str:
            at = parse_instant(at)
        if not config.opens_at <= at < config.closes_at:
            decisions.append([cid, OUTSIDE_WINDOW])
            continue
        if pattern is not None and not pattern.search(fold(c.get("text") or "")):
            decisions.append([cid, MISSING_KEYWORD])
            continue
        key = (at, str(cid))
        held = first.get(account)
        if held is None or key < held[0]:
            if held is not None:
                decisions[held[1]][1] = DUPLICATE_ENTRY
            first[account] = (key, len(decisions), handle)
            decisions.append([cid, ENTERED])
        else:
            decisions.append([cid, DUPLICATE_ENTRY])
    return Entrants(
        entrants=canonical_entrants(first),
        handles={a: h for a, (_k, _i, h) in first.items() if h},
        decisions=[(cid, reason) for cid, reason in decisions],
    )
