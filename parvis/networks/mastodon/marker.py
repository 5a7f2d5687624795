"""The marker we leave in a status so that our own timeline can tell us which status a delivery made.

Pure: no I/O. The marker is the delivery's idempotency key (a UUID). Mastodon keeps the `Idempotency-Key`
for one hour only and never shows it back, so every status Parvis posts also ends with an invisible
signature: 49 characters among U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER spelling one start
bit and the first 48 bits of SHA-256(marker).

Why these two characters: they are grapheme *extenders* (Unicode UAX #29), so they join the previous
grapheme and Mastodon's grapheme counter (and parvis.domain.text) counts them as 0 characters; they are
not URL characters (a trailing link stays intact) and not whitespace (Mastodon keeps them in `content`).
The start bit is a non-joiner, so the signature never glues a trailing emoji to anything.
"""

from __future__ import annotations

import hashlib

ZERO = "\u200c"  # ZERO WIDTH NON-JOINER
ONE = "\u200d"  # ZERO WIDTH JOINER
MARKER_BITS = 48


def marker_suffix(marker: str) -> str:
    digest = hashlib.sha256(marker.encode("utf-8")).digest()[: MARKER_BITS // 8]
    bits = "".join(f"{byte:08b}" for byte in digest)
    return ZERO + "".join(ONE if bit == "1" else ZERO for bit in bits)


def with_marker(text: str, marker: str) -> str:
    """`text` signed with `marker` (an empty text stays a valid media-only status)."""
    return f"{text}{marker_suffix(marker)}"


def carries_marker(text: str, marker: str) -> bool:
    """Whether `text` (plain text or a status `content`, HTML entities decoded) was signed with `marker`."""
    return bool(marker) and marker_suffix(marker) in text


def strip_markers(text: str) -> str:
    """`text` without any trailing signature (for showing our own statuses)."""
    return text.rstrip(ZERO + ONE)
