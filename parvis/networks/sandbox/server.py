"""A simulated publishing API for every network, served over real HTTP on loopback.

It stands in for the networks in the demo, the benchmarks and the fault-injection tests: posts are stored
in SQLite (so a restart keeps them), the text is checked against the network's limit, a marker posted twice
is refused as a duplicate, and faults (rate limit, server error, "timeout after accepting") are injected
per request with a seeded random generator.

Endpoints (JSON unless said otherwise):
    POST   /{network}/posts                  publish (Authorization: Bearer <token>)
    GET    /{network}/posts?marker=M         find our post by marker (reconciliation)
    GET    /{network}/posts/{id}             one post
    DELETE /{network}/posts/{id}             delete
    GET    /{network}/{handle}/posts/{id}    the post as an HTML page, with a "simulation" banner
    GET    /{network}/posts/{id}/metrics     a post's figures (growing over its first days)
    GET    /{network}/accounts/{handle}/metrics   the account's figures (followers, views of the day...)
    GET    /{network}/comments?handle=H&cursor=C&limit=N&post_ids=1,2   comments since a cursor
    POST   /{network}/comments/{id}/replies  answer a comment as the account (marker de-duplicated)
    POST   /{network}/comments/{id}/hide     {"hidden": true|false}
    DELETE /{network}/comments/{id}          delete a comment
    GET    /_sandbox/posts?network=&handle=  list posts        DELETE /_sandbox/posts   wipe them
    GET    /_sandbox/stats                   counts            GET|POST /_sandbox/config
    GET    /_sandbox/replies?network=        the replies the accounts made
    GET    /healthz

The conversation is computed, not stored: each post receives citizens' comments (questions, complaints,
thanks, harsh criticism, replies, mentions, and a few insults, spam, personal data, hate and threats, in
French) at instants drawn from a generator seeded by (seed, network, post id), most in the post's first
day. A comment exists once its instant has passed; `conversation_speed` in the config makes the simulated
hours pass faster (3600: one hour of conversation per second). Only what people do to comments (hide,
delete, replies) is stored. The cursor is the (instant, post, rank) of the last comment read: comments
appear in instant order, so nothing is skipped between two reads.
"""

from __future__ import annotations

import html
import json
import logging
import math
import random
import re
import socket
import sqlite3
import sys
import threading
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

log = logging.getLogger("parvis.sandbox")

NETWORKS = (
    "facebook", "instagram", "threads", "linkedin", "x", "tiktok", "youtube", "mastodon", "bluesky", "snapchat",
)
LABELS = {
    "facebook": "Facebook", "instagram": "Instagram", "threads": "Threads", "linkedin": "LinkedIn", "x": "X",
    "tiktok": "TikTok", "youtube": "YouTube", "mastodon": "Mastodon", "bluesky": "Bluesky", "snapchat": "Snapchat",
}
# Used only when parvis.domain cannot be imported; the domain registry is the reference.
FALLBACK_MAX_CHARS = {
    "facebook": 63_206, "instagram": 2_200, "threads": 500, "linkedin": 3_000, "x": 280, "tiktok": 2_200,
    "youtube": 5_000, "mastodon": 500, "bluesky": 300, "snapchat": 160,
}
# What each network says when the text is too long, close to its own words.
TOO_LONG_WORDS = {
    "facebook": "(#100) The message is too long: {length} characters, the maximum is {limit}.",
    "instagram": "(#100) The caption is too long: {length} characters, the maximum is {limit}.",
    "threads": "THREADS_API__TEXT_TOO_LONG: the text is {length} characters long, the maximum is {limit}.",
    "linkedin": "/commentary :: length {length} must be less than or equal to {limit}",
    "x": "Your Tweet text is too long ({length} weighted characters, the maximum is {limit}).",
    "tiktok": "invalid_params: title is {length} runes long, the maximum is {limit}.",
    "youtube": "invalidDescription: the description is {length} long, the maximum is {limit}.",
    "mastodon": "Validation failed: Text character limit of {limit} exceeded ({length})",
    "bluesky": "Invalid app.bsky.feed.post record: Record/text must not be longer than {limit} graphemes "
               "({length})",
    "snapchat": "description is {length} characters long, the maximum is {limit}.",
}
TOO_LONG_BYTES_WORDS = {
    "bluesky": "Invalid app.bsky.feed.post record: Record/text must not be longer than {limit} bytes ({size})",
}
DAILY_LIMIT_WORDS = {
    "instagram": "(#9) Application request limit reached: the account has reached the maximum number of "
                 "posts allowed by the Content Publishing API ({limit} posts within 24 hours). (subcode 2207042)",
    "threads": "The profile has reached the maximum of {limit} API-published posts within 24 hours.",
}
# Real per-account publishing quotas (rolling 24 h); overridable through the config.
DEFAULT_DAILY_LIMITS = {"instagram": 50, "threads": 250}
FAULTS = ("timeout_after_accept", "rate_limit", "server_error")
DAY_S = 86_400.0
BANNER = "Simulation Parvis — ce message n'a pas été publié sur le vrai réseau"


@dataclass(frozen=True)
class SandboxConfig:
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    fault_rates: dict = field(default_factory=lambda: dict.fromkeys(FAULTS, 0.0))
    seed: int | None = None
    rate_limit_retry_after_s: float = 60.0
    timeout_hold_s: float = 30.0
    daily_limits: dict = field(default_factory=lambda: dict(DEFAULT_DAILY_LIMITS))
    conversation_speed: float = 1.0  # simulated seconds of conversation per real second

    def merged(self, changes: dict) -> SandboxConfig:
        """A new config with `changes` applied; raises ValueError naming the bad field."""
        unknown = set(changes) - set(self.__dataclass_fields__) - {"reset"}
        if unknown:
            raise ValueError(f"champ de configuration inconnu : {', '.join(sorted(unknown))}")
        base = self
        values = {}
        for name in ("latency_ms", "latency_jitter_ms", "rate_limit_retry_after_s", "timeout_hold_s",
                     "conversation_speed"):
            if name in changes:
                values[name] = _non_negative(name, changes[name])
        if "seed" in changes:
            seed = changes["seed"]
            if seed is not None and not isinstance(seed, int):
                raise ValueError("seed doit être un entier")
            values["seed"] = seed
        if "fault_rates" in changes:
            rates = dict(base.fault_rates)
            for name, p in (changes["fault_rates"] or {}).items():
                if name not in FAULTS:
                    raise ValueError(f"faute inconnue : {name} (connues : {', '.join(FAULTS)})")
                p = _non_negative(f"fault_rates.{name}", p)
                if p > 1:
                    raise ValueError(f"fault_rates.{name} doit être entre 0 et 1")
                rates[name] = p
            values["fault_rates"] = rates
        if "daily_limits" in changes:
            limits = dict(base.daily_limits)
            for name, n in (changes["daily_limits"] or {}).items():
                if name not in NETWORKS:
                    raise ValueError(f"réseau inconnu : {name}")
                if n is None:
                    limits.pop(name, None)
                else:
                    limits[name] = int(_non_negative(f"daily_limits.{name}", n))
            values["daily_limits"] = limits
        if values.get("conversation_speed") == 0:
            raise ValueError("conversation_speed doit être strictement positif")
        return replace(base, **values)


def _non_negative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or math.isnan(value):
        raise ValueError(f"{name} doit être un nombre positif ou nul")
    return float(value)


FALLBACK_MAX_BYTES = {"bluesky": 3_000}


def text_limits(network: str, text: str) -> tuple[int, int, int | None]:
    """(length as the network counts it, its maximum, its maximum in UTF-8 bytes or None)."""
    try:
        from parvis.domain.limits import get_limits
        from parvis.domain.text import count_length

        limits = get_limits(network)
        return count_length(network, text), limits.max_chars, getattr(limits, "max_bytes", None)
    except ImportError:
        return len(text), FALLBACK_MAX_CHARS[network], FALLBACK_MAX_BYTES.get(network)


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str = "", headers: dict | None = None, **extra):
        super().__init__(message or code)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict:
        error = {"code": self.code, **self.extra}
        if self.message:
            error["message"] = self.message
        return {"error": error}


# --- the simulated conversation ------------------------------------------------------------------------------

# Relative size of each network's audience for a local authority (Facebook first, by far).
AUDIENCE = {
    "facebook": 1.0, "instagram": 0.7, "x": 0.4, "tiktok": 0.5, "youtube": 0.3, "linkedin": 0.25,
    "threads": 0.2, "mastodon": 0.15, "bluesky": 0.15, "snapchat": 0.1,
}
COMMENTS_PER_POST = 40  # on Facebook, on average; other networks scale by AUDIENCE
CONVERSATION_TAU_S = 8 * 3600.0  # mean delay of a comment: most come the first day
CONVERSATION_MAX_S = 7 * DAY_S  # nothing after a week
CONVERSATION_DAYS = 60  # posts older than this are not read again
METRICS_TAU_S = 18 * 3600.0  # a post's views grow like 1 - exp(-age / tau)
_FIRST = ("Camille", "Nathalie", "Sylvie", "Karim", "Jean-Pierre", "Lucie", "Mohamed", "Isabelle", "Thomas",
          "Chantal", "Julien", "Fatima", "Michel", "Sandrine", "Kevin", "Monique", "Antoine", "Léa", "Bernard",
          "Aurélie", "Hugo", "Martine", "Yasmine", "Philippe", "Manon")
_LAST = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
         "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier")
_PLACES = ("la piscine municipale", "la médiathèque", "le marché couvert", "la salle des fêtes", "le stade",
           "la déchetterie", "le centre social", "l'école Jules-Ferry")
_STREETS = ("rue Victor-Hugo", "rue Pasteur", "avenue Jean-Jaurès", "rue de la République", "place du Marché",
            "boulevard Carnot")
_EVENTS = ("le marché de Noël", "la fête de la musique", "le forum des associations", "la brocante",
           "le feu d'artifice", "la collecte de sang")
# (kind, weight, templates). The classifier's labels are not given: the inbox must find them.
_TEMPLATES = (
    ("question", 22, (
        "Bonjour, à quelle heure ouvre {place} samedi ?",
        "Est-ce que {event} est maintenu s'il pleut ?",
        "Où peut-on s'inscrire pour {event} ?",
        "Quand les travaux {street} seront-ils terminés ?",
        "Bonjour, y a-t-il un parking près de {place} ?",
        "Est-ce que c'est accessible en fauteuil roulant ?",
    )),
    ("complaint", 16, (
        "Toujours pas de ramassage des poubelles {street}, c'est inadmissible.",
        "Les lampadaires {street} sont en panne depuis trois semaines, personne ne fait rien.",
        "Encore des travaux sans prévenir les riverains, c'est insupportable.",
        "Le bus de 7h42 n'est pas passé ce matin, encore une fois.",
    )),
    ("criticism", 8, (
        "Ce projet est un gaspillage d'argent public, la majorité n'écoute personne.",
        "Décision absurde, le conseil municipal se moque des habitants du quartier.",
    )),
    ("thanks", 24, (
        "Merci pour l'information !",
        "Super initiative, bravo aux agents 👏",
        "Merci à l'équipe de {place}, très bon accueil.",
        "Belle journée, merci à tous les bénévoles.",
    )),
    ("chat", 12, (
        "J'y serai avec les enfants.",
        "On était nombreux l'an dernier, vivement cette année.",
        "@{friend} regarde, c'est pour samedi.",
    )),
    ("insult", 5, (
        "Bande d'incapables, vous êtes des guignols.",
        "Le maire est un abruti.",
        "Quelle bande de connards à la mairie.",
    )),
    ("spam", 4, (
        "Gagnez 500 € par jour depuis chez vous, cliquez ici : http://gains-faciles.example/promo",
        "Promo -70 % sur les lunettes de soleil ➡ http://lunettes-discount.example",
    )),
    ("personal_data", 3, (
        "Appelez-moi au 06 12 34 56 78 pour le covoiturage.",
        "Écrivez-moi : {email}",
    )),
    ("electoral", 2, ("Votez pour la liste Ensemble pour notre ville en mars !",)),
    ("hate", 2, (
        "Les étrangers dehors, ils n'ont rien à faire dans notre ville.",
        "Tous ces migrants sont des parasites, il faut les renvoyer chez eux.",
    )),
    ("threat", 2, (
        "Je vais venir à la mairie et je vais vous crever.",
        "On sait où tu habites, fais attention à toi.",
    )),
)
_WEIGHTS = tuple(w for _, w, _ in _TEMPLATES)


@dataclass(frozen=True)
class SimComment:
    post_id: int
    rank: int
    offset_s: float  # simulated seconds after the post
    author_id: str
    author_handle: str
    author_name: str
    text: str
    theme: str  # what the generator meant (question, insult...): for tests, never sent as a label
    kind: str  # comment | reply | mention
    parent_rank: int | None


def _author(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    n = rng.randrange(200)  # a pool of people who come back under several posts
    handle = f"{first.lower().replace('é', 'e').replace('-', '')}.{last.lower()}{n}"
    return f"u{zlib.crc32(handle.encode()) % 10**8}", handle, f"{first} {last}"


@lru_cache(maxsize=4096)
def simulated_comments(seed: int, network: str, post_id: int) -> tuple[SimComment, ...]:
    """The whole conversation of one post, deterministic from (seed, network, post id)."""
    rng = random.Random(f"{seed}:{network}:{post_id}")
    count = max(1, round(COMMENTS_PER_POST * AUDIENCE.get(network, 0.2) * rng.uniform(0.5, 1.5)))
    offsets = sorted(min(rng.expovariate(1 / CONVERSATION_TAU_S), CONVERSATION_MAX_S) for _ in range(count))
    out: list[SimComment] = []
    for rank, offset in enumerate(offsets):
        theme, _, templates = rng.choices(_TEMPLATES, weights=_WEIGHTS)[0]
        author_id, handle, name = _author(rng)
        text = rng.choice(templates).format(
            place=rng.choice(_PLACES), street=rng.choice(_STREETS), event=rng.choice(_EVENTS),
            friend=_author(rng)[1], email=f"{handle.split('.')[0]}.{rng.randrange(100)}@gmail.com",
        )
        kind, parent = "comment", None
        roll = rng.random()
        if out and roll < 0.15:
            kind, parent = "reply", rng.randrange(len(out))
            text = f"@{out[parent].author_handle} {text}"
        elif roll > 0.96:
            kind = "mention"
        out.append(SimComment(post_id, rank, offset, author_id, handle, name, text, theme, kind, parent))
    return tuple(out)


def comment_id(post_id: int, rank: int) -> str:
    return f"c{post_id}-{rank}"


def parse_comment_id(value: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"c(\d{1,18})-(\d{1,6})", value or "")
    return (int(m[1]), int(m[2])) if m else None


def _instant_us(post_created: float, offset_s: float, speed: float) -> int:
    return int(round(post_created * 1e6)) + int(offset_s * 1e6 / speed)


def parse_cursor(cursor: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"(\d{1,20})-(\d{1,18})-(\d{1,6})", cursor or "")
    if not m:
        raise Rejected(400, "invalid_request", "The cursor is not valid.")
    return int(m[1]), int(m[2]), int(m[3])


def hour_weight(hour: float) -> float:
    """How much of the day's audience is online at this local hour: a night trough, morning, lunch and
    evening peaks (the field's best times)."""
    peaks = ((8.5, 1.0, 1.2), (12.5, 0.9, 1.0), (20.0, 1.4, 1.8))  # (hour, height, width)
    return 0.05 + sum(h * math.exp(-((hour - c) ** 2) / (2 * w * w)) for c, h, w in peaks)


def _day_fraction_weight(local: datetime) -> float:
    """Share of a day's audience already reached at this local instant (0..1)."""
    hours = local.hour + local.minute / 60 + local.second / 3600
    steps = [i / 4 for i in range(int(hours * 4) + 1)]
    done = sum(hour_weight(h) for h in steps) / 4
    total = sum(hour_weight(i / 4) for i in range(96)) / 4
    return min(1.0, done / total)


def followers(network: str, handle: str, now: float) -> int:
    """Slow growth: about 0.1 % a day from a base that depends on the account and the network."""
    base = 300 + zlib.crc32(f"{network}:{handle}".encode()) % 4000
    base = base * (0.3 + 2 * AUDIENCE.get(network, 0.2))
    days = max(0.0, (now - 1_704_067_200) / DAY_S)  # since 1 Jan 2024
    return int(base * (1.001 ** days))


def account_metrics(network: str, handle: str, now: float) -> dict:
    """Followers, and the day's views, reach, impressions and interactions so far (Paris time)."""
    try:
        from zoneinfo import ZoneInfo

        local = datetime.fromtimestamp(now, ZoneInfo("Europe/Paris"))
    except Exception:  # noqa: BLE001 — no time zone data: UTC is close enough for a simulation
        local = datetime.fromtimestamp(now, UTC)
    f = followers(network, handle, now)
    day_rng = random.Random(f"{network}:{handle}:{local.date().isoformat()}")
    views = int(f * 1.5 * day_rng.uniform(0.7, 1.3) * _day_fraction_weight(local))
    return {"followers": f, "views": views, "reach": int(views * 0.6), "impressions": int(views * 1.3),
            "interactions": int(views * 0.04)}


def post_metrics(network: str, handle: str, post_id: int, age_s: float, visible_comments: int,
                 now: float) -> dict:
    rng = random.Random(f"metrics:{network}:{post_id}")
    final_views = followers(network, handle, now) * rng.uniform(0.3, 2.0)
    views = int(final_views * (1 - math.exp(-max(0.0, age_s) / METRICS_TAU_S)))
    likes, shares = int(views * rng.uniform(0.01, 0.05)), int(views * rng.uniform(0.001, 0.01))
    return {"views": views, "reach": int(views * 0.7), "impressions": int(views * 1.2), "likes": likes,
            "shares": shares, "comments": visible_comments, "interactions": likes + shares + visible_comments}


class SandboxState:
    """Posts in SQLite behind one lock (each operation takes microseconds), config, fault generator."""

    def __init__(self, state_file: str | None, config: SandboxConfig | None = None):
        self.db = sqlite3.connect(state_file or ":memory:", check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS posts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                network TEXT NOT NULL,
                handle TEXT NOT NULL,
                marker TEXT NOT NULL,
                text TEXT NOT NULL,
                link TEXT NOT NULL DEFAULT '',
                media TEXT NOT NULL DEFAULT '[]',
                created_at REAL NOT NULL
            );
            CREATE UNIQUE INDEX IF NOT EXISTS posts_marker ON posts(network, marker) WHERE marker <> '';
            CREATE INDEX IF NOT EXISTS posts_quota ON posts(network, handle, created_at);
            CREATE TABLE IF NOT EXISTS comment_state (
                network TEXT NOT NULL,
                comment_id TEXT NOT NULL,
                hidden INTEGER NOT NULL DEFAULT 0,
                deleted INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (network, comment_id)
            );
            CREATE TABLE IF NOT EXISTS replies (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                network TEXT NOT NULL,
                handle TEXT NOT NULL,
                to_id TEXT NOT NULL,
                text TEXT NOT NULL,
                marker TEXT NOT NULL,
                created_at REAL NOT NULL
            );
            CREATE UNIQUE INDEX IF NOT EXISTS replies_marker ON replies(network, marker) WHERE marker <> '';
            """
        )
        self.lock = threading.Lock()
        self.initial_config = config or SandboxConfig()
        self.config = self.initial_config
        self.rng = random.Random(self.config.seed)
        self.rng_lock = threading.Lock()
        self.counts: dict[str, int] = dict.fromkeys(("requests", *FAULTS, "daily_limit", "duplicate_marker"), 0)
        self.base_url = ""

    def configure(self, changes: dict) -> SandboxConfig:
        base = self.initial_config if changes.get("reset") else self.config
        config = base.merged(changes)
        with self.rng_lock:
            if "seed" in changes or changes.get("reset"):
                self.rng = random.Random(config.seed)
            self.config = config
        return config

    def draw_faults(self) -> tuple[float, float]:
        with self.rng_lock:
            return self.rng.random(), self.rng.random()

    def count(self, name: str) -> None:
        with self.rng_lock:
            self.counts[name] += 1

    def url(self, row) -> str:
        return f"{self.base_url}/{row['network']}/{quote(row['handle'], safe='@.')}/posts/{row['id']}"

    def public(self, row) -> dict:
        return {
            "id": str(row["id"]), "url": self.url(row), "network": row["network"], "handle": row["handle"],
            "marker": row["marker"], "text": row["text"], "link": row["link"], "media": json.loads(row["media"]),
            "created_at": datetime.fromtimestamp(row["created_at"], UTC).isoformat(),
        }

    def create(self, network: str, payload: dict, config: SandboxConfig) -> dict:
        handle, marker = payload["handle"], payload["marker"]
        now = time.time()
        with self.lock:
            limit = config.daily_limits.get(network)
            if limit is not None:
                recent = self.db.execute(
                    "SELECT COUNT(*), MIN(created_at) FROM posts WHERE network = ? AND handle = ? AND created_at > ?",
                    (network, handle, now - DAY_S),
                ).fetchone()
                if recent[0] >= limit and not (marker and self._by_marker(network, marker)):
                    wait = max(1, math.ceil(recent[1] + DAY_S - now)) if recent[1] else int(DAY_S)
                    self.count("daily_limit")
                    words = DAILY_LIMIT_WORDS.get(network, "Daily publishing limit of {limit} posts reached.")
                    raise Rejected(429, "rate_limited", words.format(limit=limit),
                                   headers={"Retry-After": str(wait)})
            row = {"network": network, "handle": handle, "marker": marker, "text": payload["text"],
                   "link": payload["link"], "media": json.dumps(payload["media"]), "created_at": now}
            try:
                # The unique index on (network, marker) is the duplicate check: one statement, no race.
                cur = self.db.execute(
                    "INSERT INTO posts (network, handle, marker, text, link, media, created_at) "
                    "VALUES (:network, :handle, :marker, :text, :link, :media, :created_at)", row,
                )
            except sqlite3.IntegrityError:
                # Counted: on a network without marker de-duplication this would be a second post.
                self.count("duplicate_marker")
                existing = self._by_marker(network, marker)
                raise Rejected(409, "duplicate", "A post with this marker already exists.",
                               id=str(existing["id"]), url=self.url(existing)) from None
        row["id"] = cur.lastrowid
        return self.public(row)

    def _by_marker(self, network: str, marker: str):
        return self.db.execute("SELECT * FROM posts WHERE network = ? AND marker = ?", (network, marker)).fetchone()

    def get(self, network: str, post_id: str) -> dict | None:
        if not post_id.isdigit():
            return None
        with self.lock:
            row = self.db.execute("SELECT * FROM posts WHERE network = ? AND id = ?", (network, int(post_id))).fetchone()
        return self.public(row) if row else None

    def find(self, network: str, marker: str, handle: str = "") -> dict | None:
        sql, args = "SELECT * FROM posts WHERE network = ? AND marker = ?", [network, marker]
        if handle:
            sql, args = sql + " AND handle = ?", [*args, handle]
        with self.lock:
            row = self.db.execute(sql, args).fetchone()
        return self.public(row) if row else None

    def delete(self, network: str, post_id: str) -> bool:
        if not post_id.isdigit():
            return False
        with self.lock:
            cur = self.db.execute("DELETE FROM posts WHERE network = ? AND id = ?", (network, int(post_id)))
        return cur.rowcount > 0

    def list(self, network: str = "", handle: str = "", limit: int | None = None) -> list[dict]:
        sql, args, where = "SELECT * FROM posts", [], []
        if network:
            where.append("network = ?")
            args.append(network)
        if handle:
            where.append("handle = ?")
            args.append(handle)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.lock:
            rows = self.db.execute(sql, args).fetchall()
        return [self.public(r) for r in rows]

    # --- the conversation ---

    def _conversation_seed(self, config: SandboxConfig) -> int:
        return config.seed if config.seed is not None else 0

    def _posts_of(self, network: str, handle: str, now: float, post_ids: tuple[str, ...] = ()) -> list:
        sql = "SELECT id, handle, created_at FROM posts WHERE network = ? AND handle = ? AND created_at > ?"
        args: list = [network, handle, now - CONVERSATION_DAYS * DAY_S]
        ids = [int(p) for p in post_ids if p.isdigit()]
        if post_ids:
            if not ids:
                return []
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            args += ids
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def _comment_states(self, network: str, ids: list[str]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        with self.lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                for row in self.db.execute(
                    f"SELECT comment_id, hidden, deleted FROM comment_state WHERE network = ? "
                    f"AND comment_id IN ({','.join('?' * len(chunk))})", [network, *chunk],
                ):
                    out[row[0]] = (row[1], row[2])
        return out

    def comments(self, network: str, handle: str, cursor: str, limit: int, post_ids: tuple[str, ...],
                 config: SandboxConfig) -> dict:
        """Comments on `handle`'s posts that exist now, after `cursor`, oldest first."""
        now = time.time()
        now_us = int(now * 1e6)
        after = parse_cursor(cursor) if cursor else (-1, -1, -1)
        seed, speed = self._conversation_seed(config), config.conversation_speed
        found = []
        for post in self._posts_of(network, handle, now, post_ids):
            for c in simulated_comments(seed, network, post["id"]):
                at = _instant_us(post["created_at"], c.offset_s, speed)
                if at > now_us:
                    break  # offsets are sorted: the rest of this post's conversation is still to come
                key = (at, post["id"], c.rank)
                if key > after:
                    found.append((key, c))
        found.sort(key=lambda item: item[0])
        states = self._comment_states(network, [comment_id(c.post_id, c.rank) for _, c in found])
        out, last = [], None
        for key, c in found:
            last = key
            cid = comment_id(c.post_id, c.rank)
            hidden, deleted = states.get(cid, (0, 0))
            if deleted:
                continue
            out.append({
                "id": cid, "post_id": "" if c.kind == "mention" else str(c.post_id),
                "parent_id": comment_id(c.post_id, c.parent_rank) if c.parent_rank is not None else "",
                "author": {"id": c.author_id, "handle": c.author_handle, "name": c.author_name},
                "text": c.text, "kind": c.kind, "hidden": bool(hidden),
                "created_at": datetime.fromtimestamp(key[0] / 1e6, UTC).isoformat(),
                "url": f"{self.base_url}/{network}/{quote(handle, safe='@.')}/posts/{c.post_id}#{cid}",
            })
            if len(out) >= limit:
                break
        next_cursor = f"{last[0]}-{last[1]}-{last[2]}" if last else (cursor or None)
        return {"comments": out, "cursor": next_cursor}

    def find_comment(self, network: str, cid: str, config: SandboxConfig) -> SimComment | None:
        """The comment if it exists now and was not deleted."""
        parsed = parse_comment_id(cid)
        if parsed is None:
            return None
        post_id, rank = parsed
        with self.lock:
            post = self.db.execute("SELECT created_at FROM posts WHERE network = ? AND id = ?",
                                   (network, post_id)).fetchone()
            state = self.db.execute("SELECT deleted FROM comment_state WHERE network = ? AND comment_id = ?",
                                    (network, cid)).fetchone()
        if post is None or (state and state[0]):
            return None
        conversation = simulated_comments(self._conversation_seed(config), network, post_id)
        if rank >= len(conversation):
            return None
        c = conversation[rank]
        if _instant_us(post["created_at"], c.offset_s, config.conversation_speed) > time.time() * 1e6:
            return None
        return c

    def set_comment_state(self, network: str, cid: str, *, hidden: bool | None = None,
                          deleted: bool | None = None) -> None:
        with self.lock:
            self.db.execute("INSERT OR IGNORE INTO comment_state (network, comment_id) VALUES (?, ?)",
                            (network, cid))
            if hidden is not None:
                self.db.execute("UPDATE comment_state SET hidden = ? WHERE network = ? AND comment_id = ?",
                                (int(hidden), network, cid))
            if deleted is not None:
                self.db.execute("UPDATE comment_state SET deleted = ? WHERE network = ? AND comment_id = ?",
                                (int(deleted), network, cid))

    def reply(self, network: str, to_id: str, payload: dict) -> dict:
        row = {"network": network, "handle": payload["handle"], "to_id": to_id, "text": payload["text"],
               "marker": payload["marker"], "created_at": time.time()}
        with self.lock:
            try:
                cur = self.db.execute(
                    "INSERT INTO replies (network, handle, to_id, text, marker, created_at) "
                    "VALUES (:network, :handle, :to_id, :text, :marker, :created_at)", row)
            except sqlite3.IntegrityError:
                existing = self.db.execute("SELECT id, handle FROM replies WHERE network = ? AND marker = ?",
                                           (network, row["marker"])).fetchone()
                raise Rejected(409, "duplicate", "A reply with this marker already exists.",
                               id=f"r{existing[0]}", url=self._reply_url(network, existing[1], existing[0])) from None
        return {"id": f"r{cur.lastrowid}", "url": self._reply_url(network, row["handle"], cur.lastrowid)}

    def _reply_url(self, network: str, handle: str, reply_id: int) -> str:
        return f"{self.base_url}/{network}/{quote(handle, safe='@.')}/replies/r{reply_id}"

    def replies(self, network: str = "") -> list[dict]:
        sql, args = "SELECT * FROM replies", []
        if network:
            sql, args = sql + " WHERE network = ?", [network]
        with self.lock:
            rows = self.db.execute(sql + " ORDER BY id", args).fetchall()
        return [{"id": f"r{r['id']}", "network": r["network"], "handle": r["handle"], "to_id": r["to_id"],
                 "text": r["text"], "marker": r["marker"]} for r in rows]

    def reply_exists(self, network: str, rid: str) -> bool:
        if not re.fullmatch(r"r\d{1,18}", rid or ""):
            return False
        with self.lock:
            return self.db.execute("SELECT 1 FROM replies WHERE network = ? AND id = ?",
                                   (network, int(rid[1:]))).fetchone() is not None

    def account_figures(self, network: str, handle: str) -> dict:
        return account_metrics(network, handle, time.time())

    def post_figures(self, network: str, post_id: str, config: SandboxConfig) -> dict | None:
        if not post_id.isdigit():
            return None
        with self.lock:
            post = self.db.execute("SELECT id, handle, created_at FROM posts WHERE network = ? AND id = ?",
                                   (network, int(post_id))).fetchone()
        if post is None:
            return None
        now = time.time()
        visible = self.comments(network, post["handle"], "", 10_000, (post_id,), config)["comments"]
        age = (now - post["created_at"]) * config.conversation_speed
        return post_metrics(network, post["handle"], post["id"], age, len(visible), now)

    def wipe(self) -> int:
        with self.lock:
            self.db.execute("DELETE FROM comment_state")
            self.db.execute("DELETE FROM replies")
            return self.db.execute("DELETE FROM posts").rowcount

    def stats(self) -> dict:
        with self.lock:
            rows = self.db.execute("SELECT network, COUNT(*) FROM posts GROUP BY network").fetchall()
        per_network = {network: 0 for network in NETWORKS} | {r[0]: r[1] for r in rows}
        with self.rng_lock:
            counts = dict(self.counts)
        return {"posts": per_network, "total": sum(per_network.values()), "counts": counts}

    def close(self) -> None:
        with self.lock:
            self.db.close()


def _validate_post(network: str, body) -> dict:
    if not isinstance(body, dict):
        raise Rejected(400, "invalid_request", "The body must be a JSON object.")
    handle = body.get("handle")
    text = body.get("text", "")
    marker = body.get("marker", "") or ""
    link = body.get("link", "") or ""
    media = body.get("media", []) or []
    if not isinstance(handle, str) or not handle.strip():
        raise Rejected(400, "invalid_request", "handle is required.")
    if not isinstance(text, str) or not isinstance(marker, str) or not isinstance(link, str):
        raise Rejected(400, "invalid_request", "text, marker and link must be strings.")
    if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
        raise Rejected(400, "invalid_request", "media must be a list of objects.")
    length, limit, byte_limit = text_limits(network, text)
    if length > limit:
        raise Rejected(422, "content_rejected", TOO_LONG_WORDS[network].format(length=length, limit=limit))
    size = len(text.encode("utf-8"))
    if byte_limit is not None and size > byte_limit:
        raise Rejected(422, "content_rejected", TOO_LONG_BYTES_WORDS.get(
            network, "The text is {size} bytes long, the maximum is {limit} bytes.").format(size=size, limit=byte_limit))
    media = [{k: str(m.get(k, "")) for k in ("kind", "mime_type", "alt_text")} for m in media]
    return {"handle": handle.strip(), "text": text, "marker": marker, "link": link, "media": media}


def render_post_page(post: dict) -> str:
    e = html.escape
    label = LABELS.get(post["network"], post["network"])
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in post["text"].split("\n\n") if p) or "<p></p>"
    paragraphs = paragraphs.replace("\n", "<br>")
    link = ""
    if post["link"].startswith(("https://", "http://")):
        link = f'<p class="link"><a href="{e(post["link"])}" rel="noopener nofollow">{e(post["link"])}</a></p>'
    media = "".join(
        f"<li>{e(m['kind'] or 'média')} ({e(m['mime_type'])}) — texte alternatif : {e(m['alt_text']) or '<em>aucun</em>'}</li>"
        for m in post["media"]
    )
    media = f'<ul class="media">{media}</ul>' if media else ""
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(label)} — {e(post["handle"])} (simulation)</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1e1e1e}}
.banner{{background:#fff3cd;border:2px solid #b8860b;padding:.75rem 1rem;font-weight:600;border-radius:.25rem}}
article{{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin-top:1rem}}
header{{color:#555;font-size:.9rem}}
</style></head>
<body>
<div class="banner" role="note">{e(BANNER)}</div>
<article>
<header><strong>{e(label)}</strong> · {e(post["handle"])} · <time datetime="{e(post["created_at"])}">{e(post["created_at"])}</time></header>
{paragraphs}{link}{media}
</article>
</body></html>
"""


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries a Content-Length
    disable_nagle_algorithm = True  # small answers leave at once, no 40 ms delayed-ACK stall
    timeout = 120  # an idle keep-alive connection frees its thread after this
    server: SandboxHTTPServer

    # --- plumbing ---

    def log_message(self, format, *args):  # noqa: A002 — the base class's name
        if self.server.verbose:
            sys.stderr.write("sandbox: " + (format % args) + "\n")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            # Headers and body in one write: one syscall, one packet, no wait for the second half.
            self._headers_buffer.extend((b"\r\n", body))
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a simulated timeout does that)
            self.close_connection = True

    def _json(self, status: int, data, headers: dict | None = None) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8", headers)

    def _reject(self, exc: Rejected) -> None:
        self._json(exc.status, exc.body(), exc.headers)

    def _body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise Rejected(411, "invalid_request", "Content-Length is required.")
            return None
        raw = self.rfile.read(int(length)) if int(length) > 0 else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise Rejected(400, "invalid_request", "The body is not valid JSON.") from exc

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        segments = [unquote(s) for s in parts.path.strip("/").split("/")] if parts.path.strip("/") else []
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            body = self._body()  # read even when unused, or the next request on this connection breaks
            if segments == ["healthz"] and method == "GET":
                return self._json(200, {"status": "ok"})
            if segments[:1] == ["_sandbox"]:
                return self._admin(method, segments[1:], query, body)
            if segments and segments[0] in NETWORKS:
                return self._network(method, segments[0], segments[1:], query, body)
            raise Rejected(404, "not_found", "Unknown path.")
        except Rejected as exc:
            self._reject(exc)

    def do_GET(self):  # noqa: N802
        self._route("GET")

    def do_POST(self):  # noqa: N802
        self._route("POST")

    def do_DELETE(self):  # noqa: N802
        self._route("DELETE")

    # --- the sandbox's own endpoints ---

    def _admin(self, method, rest, query, body) -> None:
        state = self.server.state
        if rest == ["posts"] and method == "GET":
            limit = int(query["limit"]) if query.get("limit", "").isdigit() else None
            return self._json(200, {"posts": state.list(query.get("network", ""), query.get("handle", ""), limit)})
        if rest == ["posts"] and method == "DELETE":
            return self._json(200, {"deleted": state.wipe()})
        if rest == ["replies"] and method == "GET":
            return self._json(200, {"replies": state.replies(query.get("network", ""))})
        if rest == ["stats"] and method == "GET":
            return self._json(200, state.stats())
        if rest == ["config"] and method == "GET":
            return self._json(200, asdict(state.config))
        if rest == ["config"] and method == "POST":
            if not isinstance(body, dict):
                raise Rejected(400, "invalid_request", "The body must be a JSON object.")
            try:
                config = state.configure(body)
            except (ValueError, TypeError) as exc:
                raise Rejected(400, "invalid_config", str(exc)) from exc
            return self._json(200, asdict(config))
        raise Rejected(404, "not_found", "Unknown sandbox path.")

    # --- the simulated networks ---

    def _network(self, method, network, rest, query, body) -> None:
        state = self.server.state
        # A post's public page: /{network}/{handle}/posts/{id}
        if method == "GET" and len(rest) == 3 and rest[1] == "posts":
            post = state.get(network, rest[2])
            if post is None or post["handle"] != rest[0]:
                return self._send(404, b"<!doctype html><p>Publication introuvable.</p>", "text/html; charset=utf-8")
            return self._send(200, render_post_page(post).encode(), "text/html; charset=utf-8", {
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff",
            })
        known = (
            (rest[:1] == ["posts"] and (len(rest) <= 2 or (len(rest) == 3 and rest[2] == "metrics")))
            or (rest[:1] == ["comments"] and (len(rest) <= 2 or (len(rest) == 3 and rest[2] in ("replies", "hide"))))
            or (len(rest) == 3 and rest[0] == "accounts" and rest[2] == "metrics")
        )
        if not known:
            raise Rejected(404, "not_found", "Unknown path.")
        config = state.config
        state.count("requests")
        if config.latency_ms or config.latency_jitter_ms:
            time.sleep((config.latency_ms + random.uniform(0, config.latency_jitter_ms)) / 1000)
        token = self.headers.get("Authorization", "")
        if not token.startswith("Bearer ") or not token[7:].strip() or token[7:].startswith("revoked"):
            raise Rejected(401, "auth_expired", "The access token has expired or has been revoked.")
        fault, hold = state.draw_faults()
        rates = config.fault_rates
        if fault < rates["rate_limit"]:
            state.count("rate_limit")
            retry = config.rate_limit_retry_after_s
            raise Rejected(429, "rate_limited", "Too many requests.",
                           headers={"Retry-After": str(math.ceil(retry))})
        if fault < rates["rate_limit"] + rates["server_error"]:
            state.count("server_error")
            raise Rejected(503, "server_error", "The service is temporarily unavailable.")
        if rest[0] in ("comments", "accounts") or rest[-1] == "metrics":
            return self._conversation(method, network, rest, query, body, config)
        if rest == ["posts"] and method == "POST":
            post = state.create(network, _validate_post(network, body), config)
            if hold < rates["timeout_after_accept"]:
                state.count("timeout_after_accept")
                time.sleep(config.timeout_hold_s)  # stored, but the answer comes after the client gave up
            return self._json(201, {"id": post["id"], "url": post["url"]})
        if rest == ["posts"] and method == "GET":
            marker = query.get("marker", "")
            if not marker:
                raise Rejected(400, "invalid_request", "marker is required.")
            post = state.find(network, marker, query.get("handle", ""))
            if post is None:
                raise Rejected(404, "not_found", "No post with this marker.")
            return self._json(200, {"id": post["id"], "url": post["url"]})
        if len(rest) == 2 and method == "GET":
            post = state.get(network, rest[1])
            if post is None:
                raise Rejected(404, "not_found", "No such post.")
            return self._json(200, post)
        if len(rest) == 2 and method == "DELETE":
            if not state.delete(network, rest[1]):
                raise Rejected(404, "not_found", "No such post.")
            return self._json(200, {"deleted": True})
        raise Rejected(405, "method_not_allowed", "Method not allowed.")


    def _conversation(self, method, network, rest, query, body, config) -> None:
        state = self.server.state
        if rest == ["comments"] and method == "GET":
            handle = query.get("handle", "")
            if not handle:
                raise Rejected(400, "invalid_request", "handle is required.")
            limit = query.get("limit", "100")
            if not limit.isdigit() or not 1 <= int(limit) <= 500:
                raise Rejected(400, "invalid_request", "limit must be between 1 and 500.")
            post_ids = tuple(p for p in query.get("post_ids", "").split(",") if p)
            return self._json(200, state.comments(network, handle, query.get("cursor", ""), int(limit),
                                                  post_ids, config))
        if rest[0] == "comments" and len(rest) >= 2:
            cid = rest[1]
            exists = state.find_comment(network, cid, config) is not None
            if len(rest) == 3 and rest[2] == "replies" and method == "POST":
                if not exists and not state.reply_exists(network, cid):
                    raise Rejected(404, "not_found", "No such comment.")
                if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
                    raise Rejected(400, "invalid_request", "text is required.")
                handle, marker = body.get("handle"), body.get("marker", "") or ""
                if not isinstance(handle, str) or not handle.strip() or not isinstance(marker, str):
                    raise Rejected(400, "invalid_request", "handle is required, marker must be a string.")
                length, limit, _ = text_limits(network, body["text"])
                if length > limit:
                    raise Rejected(422, "content_rejected",
                                   TOO_LONG_WORDS[network].format(length=length, limit=limit))
                return self._json(201, state.reply(network, cid, {"handle": handle.strip(), "text": body["text"],
                                                                   "marker": marker}))
            if not exists:
                raise Rejected(404, "not_found", "No such comment.")
            if len(rest) == 3 and rest[2] == "hide" and method == "POST":
                hidden = body.get("hidden", True) if isinstance(body, dict) else True
                if not isinstance(hidden, bool):
                    raise Rejected(400, "invalid_request", "hidden must be true or false.")
                state.set_comment_state(network, cid, hidden=hidden)
                return self._json(200, {"id": cid, "hidden": hidden})
            if len(rest) == 2 and method == "DELETE":
                state.set_comment_state(network, cid, deleted=True)
                return self._json(200, {"deleted": True})
            raise Rejected(405, "method_not_allowed", "Method not allowed.")
        if rest[0] == "accounts" and method == "GET":
            return self._json(200, {"metrics": state.account_figures(network, rest[1])})
        if rest[0] == "posts" and method == "GET":
            figures = state.post_figures(network, rest[1], config)
            if figures is None:
                raise Rejected(404, "not_found", "No such post.")
            return self._json(200, {"metrics": figures})
        raise Rejected(405, "method_not_allowed", "Method not allowed.")


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # a burst of new keep-alive connections must not be refused
    allow_reuse_address = True

    def __init__(self, address, state: SandboxState, *, verbose: bool = False):
        self.state = state
        self.verbose = verbose
        super().__init__(address, SandboxHandler)
        host, port = self.server_address[:2]
        state.base_url = f"http://{host}:{port}"

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def make_server(port: int, state_file: str | None, *, host: str = "127.0.0.1",
                config: SandboxConfig | None = None, verbose: bool = False) -> SandboxHTTPServer:
    """Bind the server (port 0 picks a free port: read `server.server_address`)."""
    return SandboxHTTPServer((host, port), SandboxState(state_file, config), verbose=verbose)


def run_server(port: int, state_file: str | None, ready_event: threading.Event | None = None, *,
               host: str = "127.0.0.1", config: SandboxConfig | None = None, verbose: bool = False) -> None:
    """Serve until interrupted (KeyboardInterrupt, SystemExit from a signal handler, or `shutdown()`)."""
    server = make_server(port, state_file, host=host, config=config, verbose=verbose)
    try:
        if ready_event is not None:
            ready_event.set()
        sys.stderr.write(f"Sandbox Parvis prête sur {server.state.base_url}\n")
        sys.stderr.flush()
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        server.state.close()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
