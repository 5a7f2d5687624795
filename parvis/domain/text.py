"""Text length exactly as each network counts it, and the entities networks recognise in a text.

NETWORKS.md §0.2 and Appendix A give the rules. Summary:
- X: NFC code points weighted 1 (Latin, Greek, Cyrillic, Hebrew, Arabic…, some punctuation) or 2 (CJK
  and the rest); every emoji sequence costs 2; every URL costs 23, including bare domains that
  twitter-text links ("www.arras.fr", "arras.fr/agenda", "arras.com").
- Bluesky: grapheme clusters (limit 300), and UTF-8 bytes (limit 3,000) through `bluesky_bytes`.
- Mastodon: grapheme clusters; each http(s) URL costs 23; "@user@domain" counts as "@user".
- Threads: grapheme clusters, except that an emoji costs its UTF-8 byte length.
- YouTube description: UTF-8 bytes. TikTok: UTF-16 code units.
- Facebook, Instagram, LinkedIn, Snapchat: code points (Python's len). Their documents say
  "characters" without defining them; code points never undercount a grapheme-based counter.
"""

from __future__ import annotations

import unicodedata

import regex

from parvis.domain.limits import (
    COUNT_CODE_POINTS,
    COUNT_GRAPHEMES,
    COUNT_MASTODON,
    COUNT_THREADS,
    COUNT_UTF8_BYTES,
    COUNT_UTF16,
    COUNT_X_WEIGHTED,
    DEFAULT_LIMITS,
)
from parvis.domain.networks import Network

# twitter-text config v3: code points in these ranges weigh 1, all others 2.
_X_WEIGHT_1_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

_GRAPHEME = regex.compile(r"\X")
# An emoji sequence: any cluster holding a pictograph, a flag (regional indicators) or a keycap.
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]")

# Generic TLDs that twitter-text links without a protocol (a common subset of its long list).
_GTLDS = frozenset(
    """
    com net org info biz edu gov int mil name pro mobi asia tel travel aero coop museum jobs cat
    app dev page blog news shop store online site website tech cloud digital email art eco green
    paris bzh alsace corsica eus lol xyz club top ovh immo media agency social live video tv
    """.split()
)
# Country-code TLDs (ISO 3166-1 alpha-2 delegations, plus eu).
_CCTLDS = frozenset(
    """
    ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs
    bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg
    eh er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn
    hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk
    lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf
    ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd
    se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw
    tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
    """.split()
)
# twitter-text still links "name.co" and "name.tv" without a path.
_SPECIAL_CCTLDS = frozenset({"co", "tv"})

_URL_CHAR = r"[^\s<>\"\p{Extended_Pictographic}]"
_PROTOCOL_URL = regex.compile(rf"https?://{_URL_CHAR}+", regex.IGNORECASE)
_BARE_URL = regex.compile(
    r"(?<![\w@#$＠＃.\-/])"
    r"(?P<domain>(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?P<tld>[a-z]{2,}))"
    r"(?![\w@\-])"
    rf"(?P<rest>(?::\d+)?[/?#]{_URL_CHAR}*)?",
    regex.IGNORECASE,
)
_TRAILING = set(".,;:!?'\"»«)]}…’”")

_HASHTAG = regex.compile(r"(?<![\w&#＃/])[#＃](\w*[^\W\d_]\w*)")
_MENTION = regex.compile(
    r"(?<![\w@＠./])[@＠]"
    r"([a-z0-9_](?:[a-z0-9_.\-]*[a-z0-9_])?(?:@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+)?)",
    regex.IGNORECASE,
)
# Mastodon counts a remote mention "@user@domain" as "@user".
_REMOTE_MENTION = regex.compile(
    r"(?<![=/\w@])@([a-z0-9_](?:[a-z0-9_.\-]*[a-z0-9_])?)@[\w.\-]*\w", regex.IGNORECASE
)


def _trim_url(url: str) -> str:
    # A sentence's punctuation after a link is not part of it; a closing parenthesis is, when balanced
    # (Wikipedia-style paths).
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _url_spans(text: str, *, bare_domains: bool) -> list[tuple[int, int]]:
    spans = []
    for m in _PROTOCOL_URL.finditer(text):
        url = _trim_url(m.group())
        if "." in url:
            spans.append((m.start(), m.start() + len(url)))
    if not bare_domains:
        return spans
    taken = [False] * (len(text) + 1)
    for start, end in spans:
        for i in range(start, end):
            taken[i] = True
    for m in _BARE_URL.finditer(text):
        if taken[m.start()]:
            continue
        domain, tld, rest = m.group("domain"), m.group("tld").lower(), m.group("rest") or ""
        if tld not in _GTLDS and tld not in _CCTLDS:
            continue
        rest = _trim_url(rest)
        single_label = domain.count(".") == 1
        if tld in _CCTLDS and single_label and not rest and tld not in _SPECIAL_CCTLDS:
            continue  # twitter-text does not link "name.fr" alone, only "name.fr/path" or "www.name.fr"
        spans.append((m.start(), m.start() + len(domain) + len(rest)))
    return sorted(spans)


def extract_urls(text: str, *, bare_domains: bool = True) -> list[str]:
    """Links in the text, in order: http(s) URLs and, unless disabled, bare domains X would link."""
    return [text[s:e] for s, e in _url_spans(text, bare_domains=bare_domains)]


def _without_urls(text: str) -> str:
    # Same length, so positions still match; "#" and "@" inside a URL are not entities.
    for start, end in _url_spans(text, bare_domains=True):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def extract_hashtags(text: str) -> list[str]:
    """Hashtags without their "#", in order; "#2026" alone is not a hashtag (it needs a letter)."""
    return [m.group(1) for m in _HASHTAG.finditer(_without_urls(text))]


def extract_mentions(text: str) -> list[str]:
    """Mentions without their "@": "mairie", "mairie@mastodon.social", "ville.bsky.social".

    An e-mail address is not a mention.
    """
    return [m.group(1) for m in _MENTION.finditer(_without_urls(text))]


def _graphemes(text: str) -> list[str]:
    return _GRAPHEME.findall(text)


def is_emoji(grapheme: str) -> bool:
    return bool(_EMOJI.search(grapheme))


def count_emojis(text: str) -> int:
    return sum(1 for g in _graphemes(text) if is_emoji(g))


def _x_weight(segment: str) -> int:
    total = 0
    for grapheme in _graphemes(segment):
        if is_emoji(grapheme):
            total += 2
            continue
        for ch in grapheme:
            cp = ord(ch)
            total += 1 if any(a <= cp <= b for a, b in _X_WEIGHT_1_RANGES) else 2
    return total


def _x_length(text: str, url_length: int) -> int:
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for start, end in _url_spans(text, bare_domains=True):
        total += _x_weight(text[pos:start]) + url_length
        pos = end
    return total + _x_weight(text[pos:])


def _mastodon_length(text: str, url_length: int) -> int:
    parts = []
    pos = 0
    for start, end in _url_spans(text, bare_domains=False):
        parts.append(text[pos:start])
        parts.append("x" * url_length)
        pos = end
    parts.append(text[pos:])
    countable = _REMOTE_MENTION.sub(r"@\1", "".join(parts))
    return len(_graphemes(countable))


def _threads_length(text: str) -> int:
    return sum(len(g.encode("utf-8")) if is_emoji(g) else 1 for g in _graphemes(text))


def count_text(text: str, counting: str, *, url_length: int = 23) -> int:
    """The length of `text` under one counting method (see parvis.domain.limits.COUNT_*)."""
    if counting == COUNT_X_WEIGHTED:
        return _x_length(text, url_length)
    if counting == COUNT_MASTODON:
        return _mastodon_length(text, url_length)
    if counting == COUNT_THREADS:
        return _threads_length(text)
    if counting == COUNT_GRAPHEMES:
        return len(_graphemes(text))
    if counting == COUNT_UTF8_BYTES:
        return len(text.encode("utf-8"))
    if counting == COUNT_UTF16:
        return len(text.encode("utf-16-le")) // 2
    if counting == COUNT_CODE_POINTS:
        return len(text)
    raise ValueError(f"Méthode de comptage inconnue : {counting}")


def count_length(network: Network | str, text: str, *, url_length: int = 23) -> int:
    """The length of `text` as `network` counts it, to compare with its `max_chars`."""
    return count_text(text, DEFAULT_LIMITS[Network(network)].counting, url_length=url_length)


def bluesky_bytes(text: str) -> int:
    """UTF-8 size of a Bluesky post text (limit 3,000 bytes, besides 300 graphemes)."""
    return len(text.encode("utf-8"))
