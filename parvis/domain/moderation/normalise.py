"""Normalisation of untrusted comment text into comparable tokens.

Everything here runs in linear time on any input: no regular expression with nested or overlapping
quantifiers is applied to the whole text. Obfuscations undone: case, accents and ligatures, Unicode
look-alikes (fullwidth, mathematical bold), invisible characters, leetspeak inside words ("pu7e"),
letters repeated three times or more ("connnnard"), spaced or dotted letters ("c o n n a r d").
Spelling slips and glued words are resolved later against the lexicon (see `lexicon.resolve`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Analysis stops here; longer texts are flagged as a flood by the classifier.
MAX_CHARS = 50_000

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
# A word, or one punctuation mark that matters (sentence ends, commas, quotes).
_TOKEN = re.compile(r"[^\W_]+|[.!?;:\n,\"«»“”„]")
# "@" or "$" between two letters is leetspeak ("s@lope"), not an address.
_SYMBOL_LEET = re.compile(r"(?<=[^\W\d_])([@$])(?=[^\W\d_])")
_RUNS = re.compile(r"(.)\1{2,}")
SENTENCE_END = frozenset(".!?;\n")
QUOTES = frozenset('"«»“”„')


def clean(text: str) -> str:
    """NFKC form without control or format characters (zero-width joiners used to split words)."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS])
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            out.append("\n" if ch in "\n\r" else " ")
        elif cat in ("Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """One word folded: lower case, no accents, leetspeak digits read as letters, runs cut to two."""
    w = word.casefold().translate(_LIGATURES)
    if not w.isascii():
        w = unicodedata.normalize("NFKD", w)
        w = "".join(c for c in w if not unicodedata.combining(c))
    if any(c.isdigit() for c in w) and any(c.isalpha() for c in w):
        w = w.translate(_LEET)
    if len(w) > 2:
        w = _RUNS.sub(r"\1\1", w)
    return w


def squeeze(word: str) -> str:
    """Every run of one letter cut to one ("connard" -> "conard"); used to match doubled letters."""
    out = []
    prev = ""
    for c in word:
        if c != prev:
            out.append(c)
        prev = c
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # folded word, or the punctuation mark itself
    start: int  # offset in the cleaned text
    end: int
    quoted: bool = False

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalnum()


def tokenize(text: str) -> list[Token]:
    """Folded tokens of a cleaned text, with spaced-out letters joined back into words."""
    text = _SYMBOL_LEET.sub(lambda m: "a" if m.group(1) == "@" else "s", text)
    raw = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    tokens: list[Token] = []
    i = 0
    n = len(raw)
    while i < n:
        word, start, end = raw[i]
        # A run of at least three one-letter words, each a short gap apart: "c o n n a r d", "c.o.n".
        if len(word) == 1 and word.isalpha():
            j = i
            letters = [word]
            last_end = end
            k = i + 1
            while k < n:
                w2, s2, e2 = raw[k]
                if len(w2) == 1 and w2.isalpha() and s2 - last_end <= 2:
                    letters.append(w2)
                    last_end = e2
                    j = k
                    k += 1
                elif w2 in ".-" and s2 - last_end <= 1 and k + 1 < n:
                    k += 1  # a dot between letters; the next letter must follow closely
                    last_end = e2
                else:
                    break
            if len(letters) >= 3:
                tokens.append(Token(fold("".join(letters)), start, raw[j][2]))
                i = j + 1
                continue
        tokens.append(Token(fold(word) if word[:1].isalnum() else word, start, end))
        i += 1
    return _mark_quotes(tokens)


def _mark_quotes(tokens: list[Token]) -> list[Token]:
    """Mark words between quotation marks as quoted, when words also stand outside the quotes.

    A comment made only of a quotation is judged on its words (quoting is then no shield).
    """
    inside = False
    flags = []
    for t in tokens:
        if t.text in QUOTES:
            if t.text in "«“„":
                inside = True
            elif t.text in "»”":
                inside = False
            else:
                inside = not inside
            flags.append(None)
        else:
            flags.append(inside)
    if inside:  # an unclosed quote quotes nothing
        return tokens
    words_outside = sum(1 for t, f in zip(tokens, flags, strict=True) if f is False and t.is_word)
    if words_outside < 2 or not any(flags):
        return tokens
    return [Token(t.text, t.start, t.end, True) if f else t for t, f in zip(tokens, flags, strict=True)]
