"""Per-channel cards of the composer and the publication page: text, counter, problems, preview."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlparse

from django.conf import settings

from parvis.domain.adapt import derive_variant_text
from parvis.domain.limits import get_limits
from parvis.domain.networks import Network
from parvis.domain.text import count_length
from parvis.domain.validation import MediaInfo, validate_variant

# Networks where a link in the text is not clickable: the preview says "lien en bio".
LINK_IN_BIO = {Network.INSTAGRAM, Network.TIKTOK, Network.SNAPCHAT}


def limit_overrides() -> dict | None:
    raw = settings.NETWORK_LIMIT_OVERRIDES
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def media_info(asset) -> MediaInfo:
    return MediaInfo(kind=asset.kind, mime_type=asset.mime_type, size_bytes=asset.size_bytes, width=asset.width,
                     height=asset.height, duration_s=asset.duration_s, alt_text=asset.alt_text,
                     has_subtitles=asset.has_subtitles)


@dataclass
class Card:
    channel: object
    text: str
    edited: bool
    count: int
    max_chars: int
    link: str
    media: list = field(default_factory=list)  # MediaAsset rows, in order
    problems: list = field(default_factory=list)

    @property
    def over(self) -> bool:
        return self.count > self.max_chars

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def network(self) -> str:
        return self.channel.network

    @property
    def link_in_bio(self) -> bool:
        return self.channel.network in LINK_IN_BIO

    @property
    def link_domain(self) -> str:
        try:
            return urlparse(self.link).hostname or self.link
        except ValueError:
            return self.link

    @property
    def images(self) -> list:
        return [m for m in self.media if m.kind == "image"]

    @property
    def videos(self) -> list:
        return [m for m in self.media if m.kind == "video"]

    @property
    def preview_template(self) -> str:
        return f"web/previews/{self.channel.network}.html"


def build_card(channel, text: str, *, edited: bool, link: str, media: list, overrides=None) -> Card:
    limits = get_limits(channel.network, overrides)
    count = count_length(channel.network, text, url_length=limits.url_length or 23)
    problems = validate_variant(channel.network, text, [media_info(m) for m in media], link=link, limits=limits)
    return Card(channel=channel, text=text, edited=edited, count=count, max_chars=limits.max_chars, link=link,
                media=list(media), problems=list(problems))


def draft_cards(channels, *, body: str, link: str, media: list, texts: dict[int, str],
                edited: set[int]) -> list[Card]:
    """Cards for a publication being written: a variant edited by hand keeps its text, the others
    follow the main text."""
    overrides = limit_overrides()
    cards = []
    for channel in channels:
        if channel.id in edited and channel.id in texts:
            text, is_edited = texts[channel.id], True
        else:
            text, is_edited = derive_variant_text(channel.network, body, link), False
        cards.append(build_card(channel, text, edited=is_edited, link=link, media=media, overrides=overrides))
    return cards


def saved_cards(publication, variants, media: list) -> list[Card]:
    overrides = limit_overrides()
    return [
        build_card(v.channel, v.text, edited=v.edited, link=publication.link, media=media, overrides=overrides)
        for v in variants
    ]
