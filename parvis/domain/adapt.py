"""The default text of a per-network variant, derived from the publication's main text.

The author edits the variant afterwards; this only gives a sensible start. It never shortens the
text: a variant over the network's limit is reported by validation, and a human decides what to cut.
"""

from __future__ import annotations

from parvis.domain.networks import Network
from parvis.domain.text import extract_urls

# Links in these networks' captions are not clickable: residents are sent to the profile's link.
LINK_NOT_CLICKABLE = frozenset({Network.INSTAGRAM, Network.TIKTOK, Network.SNAPCHAT})
LINK_IN_BIO = "Lien dans la bio"


def _same_link(url: str) -> str:
    url = url.strip().lower()
    for prefix in ("https://", "http://"):
        if url.startswith(prefix):
            url = url[len(prefix) :]
    if url.startswith("www."):
        url = url[4:]
    return url.rstrip("/")


def _has_link(body: str, link: str) -> bool:
    wanted = _same_link(link)
    return any(_same_link(url) == wanted for url in extract_urls(body))


def _append_line(body: str, line: str) -> str:
    return f"{body}\n\n{line}" if body else line


def derive_variant_text(network: Network | str, body: str, link: str = "") -> str:
    """`body` adapted to `network`: the link is added on its own line when the body lacks it.

    Instagram, TikTok and Snapchat get "Lien dans la bio" instead of a URL nobody can click.
    """
    network = Network(network)
    body = body.strip()
    link = link.strip()
    if not link:
        return body
    if network in LINK_NOT_CLICKABLE:
        if LINK_IN_BIO.lower() in body.lower():
            return body
        return _append_line(body, LINK_IN_BIO)
    if _has_link(body, link):
        return body
    return _append_line(body, link)
