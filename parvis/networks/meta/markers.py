"""Finding our own post again on Facebook and Instagram, where nothing hidden can be attached to a post.

Meta has no idempotency key and no private field on a post, and a visible token in a citizen-facing post is
not acceptable. So the marker never goes to Meta. Instead:

1. Just before sending, the connector writes a journal entry `marker → (account, exact text, instant)`.
2. The lookup (`find_by_marker`) reads the entry back, scans the account's own recent posts and picks the
   post whose text is exactly ours, created in the window [sent - 2 min, sent + 2 h] (clock skew; video
   processing), and not already claimed by another marker of the journal (the same text posted twice).
3. When the publish call answers, the remote id is confirmed in the journal.

The journal is a small SQLite file in the data directory (PARVIS_DATA_DIR), written by the process that
publishes and read by the sweep, which runs on the same machine in the embedded set-up. `find_by_marker`
also accepts the text and the instant directly (the ledger has both) for deployments whose sweep runs on
another machine. Entries older than 7 days are pruned.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SKEW_BEFORE = timedelta(minutes=2)
WINDOW_AFTER = timedelta(hours=2)
KEEP = timedelta(days=7)


@dataclass(frozen=True)
class Sent:
    marker: str
    text: str
    sent_at: datetime
    remote_id: str = ""


@dataclass(frozen=True)
class Candidate:
    remote_id: str
    text: str
    created_at: datetime | None
    url: str = ""


def normalise(text: str) -> str:
    """Graph returns the text we sent with line ends normalised and outer blanks trimmed."""
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
                     ).strip()


def pick(candidates: list[Candidate], sent: Sent, *, claimed: set[str] = frozenset()) -> Candidate | None:
    """The earliest post with exactly our text inside the window, not claimed by another marker."""
    wanted = normalise(sent.text)
    start, end = sent.sent_at - SKEW_BEFORE, sent.sent_at + WINDOW_AFTER
    if sent.remote_id:  # the publish answered: that id is ours whatever its text became
        return next((c for c in candidates if c.remote_id == sent.remote_id), None)
    fitting = [
        c for c in candidates
        if c.remote_id not in claimed and c.created_at is not None and start <= c.created_at <= end
        and normalise(c.text) == wanted
    ]
    return min(fitting, key=lambda c: c.created_at) if fitting else None


class SqliteJournal:
    def __init__(self, path: str | Path | None = None):
        self._path = Path(path) if path else None
        self._ready = False
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        if self._path is None:
            root = os.environ.get("PARVIS_DATA_DIR") or str(Path.cwd() / "var")
            self._path = Path(root) / "meta-markers.sqlite3"
        return self._path

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0)
        if not self._ready:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS sent (account TEXT NOT NULL, marker TEXT NOT NULL, text TEXT NOT NULL,"
                    " sent_at TEXT NOT NULL, remote_id TEXT NOT NULL DEFAULT '', PRIMARY KEY (account, marker))"
                )
                db.commit()
                self._ready = True
        return db

    def remember(self, account: str, marker: str, text: str, sent_at: datetime) -> None:
        db = self._connect()
        try:
            with db:
                db.execute("INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?, '')",
                           (account, marker, text, sent_at.astimezone(UTC).isoformat()))
                db.execute("DELETE FROM sent WHERE sent_at < ?", ((sent_at - KEEP).astimezone(UTC).isoformat(),))
        finally:
            db.close()

    def confirm(self, account: str, marker: str, remote_id: str) -> None:
        db = self._connect()
        try:
            with db:
                db.execute("UPDATE sent SET remote_id = ? WHERE account = ? AND marker = ?",
                           (remote_id, account, marker))
        finally:
            db.close()

    def recall(self, account: str, marker: str) -> Sent | None:
        db = self._connect()
        try:
            row = db.execute("SELECT marker, text, sent_at, remote_id FROM sent WHERE account = ? AND marker = ?",
                             (account, marker)).fetchone()
        finally:
            db.close()
        return Sent(row[0], row[1], datetime.fromisoformat(row[2]), row[3]) if row else None

    def claimed(self, account: str, *, except_marker: str) -> set[str]:
        db = self._connect()
        try:
            rows = db.execute("SELECT remote_id FROM sent WHERE account = ? AND marker != ? AND remote_id != ''",
                              (account, except_marker)).fetchall()
        finally:
            db.close()
        return {r[0] for r in rows}


# Replaceable (tests, or a shared store for multi-machine deployments).
journal = SqliteJournal()
