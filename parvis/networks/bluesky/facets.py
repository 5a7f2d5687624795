"""Rich-text facets of a Bluesky post: links, mentions and hashtags at UTF-8 byte offsets.

Without facets Bluesky shows links and hashtags as plain text. Offsets are bytes of the UTF-8 text, start
inclusive, end exclusive (lexicon app.bsky.richtext.facet), so "é" moves what follows by two and an emoji by
four. Entities are found by parvis.domain.text, the same rules the counters use.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from parvis.domain.text import extract_hashtags, extract_mentions, extract_urls

LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
TAG = "app.bsky.richtext.facet#tag"
MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640

# A handle has at least one dot ("ville.bsky.social", "mairie.fr"); "user@instance" is a Mastodon address.
_HANDLE = regex.compile(r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+$", regex.I)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def _spans(text: str, needles: list[str], prefixes: tuple[str, ...],
           taken: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Character spans of each needle (with one of `prefixes`), in order of appearance, outside `taken`
    ("#section" inside a link is not the hashtag "#section" written after it)."""
    found, pos = [], 0
    for needle in needles:
        best = None
        for prefix in prefixes:
            at = text.find(prefix + needle, pos)
            while at >= 0 and _overlaps(at, at + len(prefix) + len(needle), taken):
                at = text.find(prefix + needle, at + 1)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, at + len(prefix) + len(needle))
        if best is not None:
            found.append((*best, needle))
            pos = best[1]
    return found


def build_facets(text: str, resolve_handle: Callable[[str], str | None] | None = None) -> list[dict]:
    """Facets for `text`. `resolve_handle(handle) -> did | None` turns mentions into links to accounts;
    a mention that does not resolve stays plain text, as in the Bluesky app."""
    facets: list[tuple[int, int, dict]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, feature: dict) -> None:
        if _overlaps(start, end, taken):
            return
        taken.append((start, end))
        facets.append((start, end, feature))

    for start, end, url in _spans(text, extract_urls(text), ("",), taken):
        uri = url if regex.match(r"(?i)https?://", url) else f"https://{url}"
        add(start, end, {"$type": LINK, "uri": uri})
    if resolve_handle is not None:
        handles = [h for h in extract_mentions(text) if _HANDLE.match(h)]
        for start, end, handle in _spans(text, handles, ("@", "＠"), taken):
            did = resolve_handle(handle.lower())
            if did:
                add(start, end, {"$type": MENTION, "did": did})
    for start, end, tag in _spans(text, extract_hashtags(text), ("#", "＃"), taken):
        if len(regex.findall(r"\X", tag)) <= MAX_TAG_GRAPHEMES and len(tag.encode()) <= MAX_TAG_BYTES:
            add(start, end, {"$type": TAG, "tag": tag})
    facets.sort(key=lambda f: f[0])
    return [
        {"index": {"byteStart": _byte_offset(text, s), "byteEnd": _byte_offset(text, e)}, "features": [feature]}
        for s, e, feature in facets
    ]
