"""The marker we leave in a status so that our own timeline can tell us which status a delivery made.

Pure: no I/O. The marker is the delivery's idempotency key (a UUID). Mastodon keeps the `Idempotency-Key`
for one hour only and never shows it back, so every status Parvis posts also ends with an invisible
signature: 49 characters among U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER spelling one start
bit and the first 48 bits of SHA-256(marker).

Why these two characters: they are grapheme *extenders* (Unicode UAX #29), so they join the previous
grapheme and Mastodon's grapheme counter (and parvis.domain.text) counts them as 0 characters, and they are
not whitespace (Mastodon keeps them in `content`). Where: at the end of the last word that is not a
link, a hashtag or a mention, so the signature never touches one of those (a parser that took it for part
of a URL would break the link; Mastodon's hashtag pattern accepts U+200C inside a tag) and always extends
a visible grapheme (after a line break it would count as one character). A text made only of links, tags
and mentions gets it at the start followed by a space (two characters), so no parser can read it as part
of the first token. The start bit is a non-joiner, so the
signature never glues an emoji to anything.
"""

from __future__ import annotations

import hashlib
import re

ZERO = "\u200c"  # ZERO WIDTH NON-JOINER
ONE = "\u200d"  # ZERO WIDTH JOINER
MARKER_BITS = 48


def marker_suffix(marker: str) -> str:
    digest = hashlib.sha256(marker.encode("utf-8")).digest()[: MARKER_BITS // 8]
    bits = "".join(f"{byte:08b}" for byte in digest)
    return ZERO + "".join(ONE if bit == "1" else ZERO for bit in bits)


_SIGNATURE = re.compile(f"{ZERO}[{ZERO}{ONE}]{{{MARKER_BITS}}}")
_LEADING = re.compile(f"^{_SIGNATURE.pattern} ")
_LINKISH = re.compile(r"://|^[#@＃＠]|@|\w\.\w")


def with_marker(text: str, marker: str) -> str:
    """`text` signed with `marker` (an empty text stays a valid media-only status)."""
    suffix = marker_suffix(marker)
    for word in reversed(list(re.finditer(r"\S+", text))):
        if not _LINKISH.search(word.group()):
            return f"{text[:word.end()]}{suffix}{text[word.end():]}"
    return f"{suffix} {text}" if text else suffix


def carries_marker(text: str, marker: str) -> bool:
    """Whether `text` (plain text or a status `content`, HTML entities decoded) was signed with `marker`."""
    return bool(marker) and marker_suffix(marker) in text


def strip_markers(text: str) -> str:
    """`text` without any signature (a status written through Parvis, read back as a comment)."""
    return _SIGNATURE.sub("", _LEADING.sub("", text, count=1))
