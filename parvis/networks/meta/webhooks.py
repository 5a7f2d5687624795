"""Meta webhook payloads (object `page` fields `feed`/`mention`, object `instagram` fields `comments`/
`mentions`) read into RemoteComment DTOs. No Django, no I/O: the web view verifies and hands the body here.

Text in a payload is untrusted input, kept as-is (escaped at display time).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from ..types import RemoteComment
from .graph import parse_time

SIGNATURE_HEADER = "X-Hub-Signature-256"


def valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """`sha256=<hex HMAC-SHA256 of the raw body with the app secret>`, compared in constant time."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def _when(value, fallback: datetime) -> datetime:
    return parse_time(value) or fallback


def _page_feed(value: dict, when: datetime) -> RemoteComment | None:
    """A `feed` change: only comments added or edited by someone (reactions and posts are not comments)."""
    if value.get("item") != "comment" or value.get("verb") not in ("add", "edited"):
        return None
    comment_id, post_id = str(value.get("comment_id") or ""), str(value.get("post_id") or "")
    if not comment_id:
        return None
    parent = str(value.get("parent_id") or "")
    author = value.get("from") if isinstance(value.get("from"), dict) else {}
    is_reply = bool(parent) and parent != post_id
    return RemoteComment(
        remote_id=comment_id, post_remote_id=post_id, author_id=str(author.get("id") or ""),
        author_handle=str(author.get("id") or ""), author_name=str(author.get("name") or ""),
        text=str(value.get("message") or ""), created_at=_when(value.get("created_time"), when),
        parent_remote_id=parent if is_reply else "", kind="reply" if is_reply else "comment",
    )


def _page_mention(value: dict, when: datetime) -> RemoteComment | None:
    """A `mention` change: the Page was tagged in someone's post or comment."""
    if value.get("verb") not in (None, "add"):
        return None
    remote_id = str(value.get("comment_id") or value.get("post_id") or "")
    if not remote_id:
        return None
    return RemoteComment(
        remote_id=remote_id, post_remote_id="", author_id=str(value.get("sender_id") or ""),
        author_handle=str(value.get("sender_id") or ""), author_name=str(value.get("sender_name") or ""),
        text=str(value.get("message") or ""), created_at=_when(value.get("created_time"), when), kind="mention",
    )


def _ig_comment(value: dict, when: datetime) -> RemoteComment | None:
    comment_id = str(value.get("id") or "")
    if not comment_id:
        return None
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    author = value.get("from") if isinstance(value.get("from"), dict) else {}
    parent = str(value.get("parent_id") or "")
    return RemoteComment(
        remote_id=comment_id, post_remote_id=str(media.get("id") or ""), author_id=str(author.get("id") or ""),
        author_handle=str(author.get("username") or ""), text=str(value.get("text") or ""),
        created_at=_when(value.get("timestamp"), when), parent_remote_id=parent,
        kind="reply" if parent else "comment",
    )


def _ig_mention(value: dict, when: datetime) -> RemoteComment | None:
    """Only ids come: the text is read later with `mentioned_comment` / `mentioned_media`."""
    remote_id = str(value.get("comment_id") or value.get("media_id") or "")
    if not remote_id:
        return None
    return RemoteComment(remote_id=remote_id, post_remote_id="", author_id="", author_handle="", text="",
                         created_at=when, kind="mention")


PARSERS = {
    ("page", "feed"): _page_feed,
    ("page", "mention"): _page_mention,
    ("page", "mentions"): _page_mention,
    ("instagram", "comments"): _ig_comment,
    ("instagram", "mentions"): _ig_mention,
}


def parse_changes(payload: dict, *, now: datetime | None = None) -> list[tuple[str, RemoteComment]]:
    """(account id, comment) for every change we understand; others (reactions, messages...) are skipped."""
    now = now or datetime.now(UTC)
    if not isinstance(payload, dict):
        return []
    kind = str(payload.get("object") or "")
    found = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        account = str(entry.get("id") or "")
        when = _when(entry.get("time"), now)
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                continue
            parser = PARSERS.get((kind, str(change.get("field") or "")))
            comment = parser(change["value"], when) if parser else None
            if comment is not None:
                found.append((account, comment))
    return found


def handle_changes(payload: dict, *, now: datetime | None = None) -> list[RemoteComment]:
    """What a webhook call carries, as DTOs (the view hands them to the inbox, grouped by account)."""
    return [comment for _account, comment in parse_changes(payload, now=now)]
