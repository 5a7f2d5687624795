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
    GET    /_sandbox/posts?network=&handle=  list posts        DELETE /_sandbox/posts   wipe them
    GET    /_sandbox/stats                   counts            GET|POST /_sandbox/config
    GET    /healthz
"""

from __future__ import annotations

import html
import json
import logging
import math
import random
import socket
import sqlite3
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
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

    def merged(self, changes: dict) -> SandboxConfig:
        """A new config with `changes` applied; raises ValueError naming the bad field."""
        unknown = set(changes) - set(self.__dataclass_fields__) - {"reset"}
        if unknown:
            raise ValueError(f"champ de configuration inconnu : {', '.join(sorted(unknown))}")
        base = self
        values = {}
        for name in ("latency_ms", "latency_jitter_ms", "rate_limit_retry_after_s", "timeout_hold_s"):
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

    def wipe(self) -> int:
        with self.lock:
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
        if rest[:1] != ["posts"] or len(rest) > 2:
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
