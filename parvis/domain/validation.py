"""Checks of one per-network variant (text + media + link) against that network's limits.

Errors block publishing: the network would refuse the post. Warnings are accessibility advice
(DOMAIN.md "Accessibility of posts", RGAA spirit): a human may publish anyway.
Messages are French and name the network, the field and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

from parvis.domain.limits import NetworkLimits, Ratio, get_limits, ratio_value
from parvis.domain.networks import NETWORK_LABELS, Network
from parvis.domain.text import (
    bluesky_bytes,
    count_emojis,
    count_text,
    extract_hashtags,
    extract_mentions,
    extract_urls,
)

ERROR = "error"
WARNING = "warning"

# Encoders round dimensions: 1200×628 is Instagram's 1.91:1.
RATIO_TOLERANCE = 0.01
MAX_EMOJIS = 3
CAMELCASE_MIN_LETTERS = 12
ALL_CAPS_MIN_WORDS = 6  # "more than 5 words"
ALL_CAPS_SHARE = 0.70


@dataclass(frozen=True)
class MediaInfo:
    kind: Literal["image", "video"]
    mime_type: str
    size_bytes: int
    width: int | None = None  # as displayed (rotation applied)
    height: int | None = None
    duration_s: float | None = None
    alt_text: str = ""
    has_subtitles: bool = False

    @property
    def ratio(self) -> float | None:
        if self.width and self.height:
            return self.width / self.height
        return None


@dataclass(frozen=True)
class Problem:
    code: str
    field: str  # "text", "title", "link", "media" or "media[i]"
    message: str
    severity: Literal["error", "warning"] = ERROR


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


# --- French formatting -------------------------------------------------------------------------

_NNBSP = "\u202f"  # French thousands separator
_MIME_LABELS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "video/x-msvideo": "AVI",
    "video/mpeg": "MPEG",
    "video/3gpp": "3GP",
    "video/x-matroska": "MKV",
    "video/x-flv": "FLV",
}


def _int(n: int) -> str:
    return f"{n:,}".replace(",", _NNBSP)


def _dec(x: float, digits: int = 2) -> str:
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _size(n: int) -> str:
    for unit, factor in (("Go", 10**9), ("Mo", 10**6), ("ko", 10**3)):
        if n >= factor:
            return f"{_dec(n / factor, 1)} {unit}"
    return f"{_int(n)} octets"


def _sizes(actual: int, limit: int) -> tuple[str, str]:
    a, b = _size(actual), _size(limit)
    if a == b:  # rounding hides the difference: show exact bytes
        return f"{_int(actual)} octets", f"{_int(limit)} octets"
    return a, b


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{_dec(seconds, 1)} s"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min" if not secs else f"{hours} h {minutes:02d} min {secs:02d} s"
    return f"{minutes} min" if not secs else f"{minutes} min {secs:02d} s"


def _ratio_label(ratio: Ratio) -> str:
    width, height = ratio
    return f"{_dec(width)}:{_dec(height)}"


def _mime_label(mime: str) -> str:
    return _MIME_LABELS.get(mime, mime)


def _mime_list(mimes: frozenset[str]) -> str:
    return ", ".join(sorted(_mime_label(m) for m in mimes))


# --- Checks ------------------------------------------------------------------------------------


def _norm_link(url: str) -> str:
    url = url.strip().lower().rstrip("/")
    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    return url


def _text_problems(name: str, text: str, link: str, limits: NetworkLimits) -> list[Problem]:
    problems = []
    length = count_text(text, limits.counting, url_length=limits.url_length or 23)
    if length > limits.max_chars:
        problems.append(
            Problem(
                "text_too_long",
                "text",
                f"Texte trop long pour {name} : {_int(length)} caractères comptés comme {name} les compte, "
                f"{_int(limits.max_chars)} au maximum.",
            )
        )
    if limits.max_bytes is not None:
        size = bluesky_bytes(text)
        if size > limits.max_bytes:
            problems.append(
                Problem(
                    "text_too_many_bytes",
                    "text",
                    f"Texte trop lourd pour {name} : {_int(size)} octets en UTF-8 (accents et emojis "
                    f"comptent plusieurs octets), {_int(limits.max_bytes)} au maximum.",
                )
            )
    forbidden = sorted({ch for ch in text if ch in limits.forbidden_chars})
    if forbidden:
        shown = " ".join(f"« {ch} »" for ch in forbidden)
        problems.append(
            Problem(
                "text_forbidden_chars",
                "text",
                f"{name} refuse les caractères {shown} dans le texte : retirez-les.",
            )
        )
    hashtags = extract_hashtags(text)
    if limits.max_hashtags is not None and len(hashtags) > limits.max_hashtags:
        problems.append(
            Problem(
                "too_many_hashtags",
                "text",
                f"Trop de hashtags pour {name} : {len(hashtags)}, {limits.max_hashtags} au maximum.",
            )
        )
    mentions = extract_mentions(text)
    if limits.max_mentions is not None and len(mentions) > limits.max_mentions:
        problems.append(
            Problem(
                "too_many_mentions",
                "text",
                f"Trop de mentions (@) pour {name} : {len(mentions)}, {limits.max_mentions} au maximum.",
            )
        )
    if limits.max_links is not None:
        links = {_norm_link(u) for u in extract_urls(text)}
        if link.strip():
            links.add(_norm_link(link))
        if len(links) > limits.max_links:
            problems.append(
                Problem(
                    "too_many_links",
                    "text",
                    f"Trop de liens pour {name} : {len(links)} liens différents (texte et lien joint), "
                    f"{limits.max_links} au maximum.",
                )
            )
    return problems


def _count_problems(name: str, media: list[MediaInfo], limits: NetworkLimits) -> list[Problem]:
    problems = []
    images = sum(1 for m in media if m.kind == "image")
    videos = sum(1 for m in media if m.kind == "video")
    if not media and not limits.text_only_allowed:
        what = "une vidéo" if limits.max_images == 0 else "une image ou une vidéo"
        problems.append(
            Problem(
                "media_required",
                "media",
                f"{name} exige {what} : une publication de texte seul n'y est pas possible.",
            )
        )
    if images and limits.max_images == 0:
        problems.append(
            Problem("images_not_accepted", "media", f"{name} n'accepte pas d'image, seulement une vidéo.")
        )
    elif images > limits.max_images:
        problems.append(
            Problem(
                "too_many_images",
                "media",
                f"Trop d'images pour {name} : {images}, {limits.max_images} au maximum.",
            )
        )
    if videos and limits.max_videos == 0:
        problems.append(Problem("videos_not_accepted", "media", f"{name} n'accepte pas de vidéo."))
    elif videos > limits.max_videos:
        problems.append(
            Problem(
                "too_many_videos",
                "media",
                f"Trop de vidéos pour {name} : {videos}, {limits.max_videos} au maximum.",
            )
        )
    if images and videos and not limits.can_mix_media:
        problems.append(
            Problem(
                "media_mixed",
                "media",
                f"{name} ne permet pas de mêler images et vidéos dans une même publication : "
                "choisissez des images ou une vidéo.",
            )
        )
    if not problems and len(media) > limits.max_media:
        problems.append(
            Problem(
                "too_many_media",
                "media",
                f"Trop de médias pour {name} : {len(media)}, {limits.max_media} au maximum.",
            )
        )
    return problems


def _ratio_ok(value: float, low: Ratio | None, high: Ratio | None) -> bool:
    if low is not None and value < ratio_value(low) * (1 - RATIO_TOLERANCE):
        return False
    return not (high is not None and value > ratio_value(high) * (1 + RATIO_TOLERANCE))


def _one_media_problems(name: str, index: int, m: MediaInfo, limits: NetworkLimits) -> list[Problem]:
    field = f"media[{index}]"
    image = m.kind == "image"
    noun = "Image" if image else "Vidéo"
    label = f"{noun} {index + 1}"
    if image:
        mimes, max_bytes, min_bytes = limits.image_mime_types, limits.max_image_bytes, None
        low, high = limits.min_image_ratio, limits.max_image_ratio
        min_w, max_w, min_h, max_h = (
            limits.min_image_width,
            limits.max_image_width,
            limits.min_image_height,
            limits.max_image_height,
        )
        max_pixels = limits.max_image_pixels
    else:
        mimes, max_bytes, min_bytes = limits.video_mime_types, limits.max_video_bytes, limits.min_video_bytes
        low, high = limits.min_video_ratio, limits.max_video_ratio
        min_w, max_w, min_h, max_h = (
            limits.min_video_width,
            limits.max_video_width,
            limits.min_video_height,
            limits.max_video_height,
        )
        max_pixels = limits.max_video_pixels
    kind = "image" if image else "video"
    if not mimes:
        return []  # already reported as "not accepted"
    problems = []
    if m.mime_type not in mimes:
        problems.append(
            Problem(
                f"{kind}_type",
                field,
                f"{label} : format {_mime_label(m.mime_type)} non accepté par {name}. "
                f"Formats acceptés : {_mime_list(mimes)}.",
            )
        )
    if max_bytes is not None and m.size_bytes > max_bytes:
        actual, limit = _sizes(m.size_bytes, max_bytes)
        problems.append(
            Problem(
                f"{kind}_too_heavy", field, f"{label} trop lourde pour {name} : {actual}, {limit} au maximum."
            )
        )
    if min_bytes is not None and m.size_bytes < min_bytes:
        actual, limit = _sizes(m.size_bytes, min_bytes)
        problems.append(
            Problem(
                f"{kind}_too_light", field, f"{label} trop légère pour {name} : {actual}, {limit} au minimum."
            )
        )
    if m.ratio is not None and not _ratio_ok(m.ratio, low, high):
        if low is not None and low == high:
            accepted = f"{_ratio_label(low)} exactement"
        else:
            accepted = f"de {_ratio_label(low)} à {_ratio_label(high)}" if low and high else ""
            if low and not high:
                accepted = f"{_ratio_label(low)} au moins"
            if high and not low:
                accepted = f"{_ratio_label(high)} au plus"
        problems.append(
            Problem(
                f"{kind}_ratio",
                field,
                f"{label} : proportions {m.width}×{m.height} px, soit {_dec(m.ratio)}:1, refusées par {name}. "
                f"Proportions acceptées (largeur:hauteur) : {accepted}.",
            )
        )
    if m.width and m.height:
        if (min_w and m.width < min_w) or (min_h and m.height < min_h):
            needed = " × ".join(
                p
                for p in (f"{min_w} px de large" if min_w else "", f"{min_h} px de haut" if min_h else "")
                if p
            )
            problems.append(
                Problem(
                    f"{kind}_too_small",
                    field,
                    f"{label} trop petite pour {name} : {m.width}×{m.height} px, au moins {needed}.",
                )
            )
        if (max_w and m.width > max_w) or (max_h and m.height > max_h):
            allowed = " × ".join(
                p
                for p in (f"{max_w} px de large" if max_w else "", f"{max_h} px de haut" if max_h else "")
                if p
            )
            problems.append(
                Problem(
                    f"{kind}_too_large",
                    field,
                    f"{label} trop grande pour {name} : {m.width}×{m.height} px, au plus {allowed}.",
                )
            )
        if max_pixels and m.width * m.height > max_pixels:
            problems.append(
                Problem(
                    f"{kind}_too_many_pixels",
                    field,
                    f"{label} trop grande pour {name} : {_int(m.width * m.height)} pixels, "
                    f"{_int(max_pixels)} au maximum.",
                )
            )
    if not image and m.duration_s is not None:
        if limits.max_video_duration_s is not None and m.duration_s > limits.max_video_duration_s:
            problems.append(
                Problem(
                    "video_too_long",
                    field,
                    f"{label} trop longue pour {name} : {_duration(m.duration_s)}, "
                    f"{_duration(limits.max_video_duration_s)} au maximum.",
                )
            )
        if limits.min_video_duration_s is not None and m.duration_s < limits.min_video_duration_s:
            problems.append(
                Problem(
                    "video_too_short",
                    field,
                    f"{label} trop courte pour {name} : {_duration(m.duration_s)}, "
                    f"{_duration(limits.min_video_duration_s)} au minimum.",
                )
            )
    return problems


# --- Accessibility warnings --------------------------------------------------------------------

_FAKE_STYLED = regex.compile(r"[\U0001D400-\U0001D7FF]")
_POINT_MEDIAN = regex.compile(r"\p{L}[\u00B7\u22C5]\p{L}")
_WORD = regex.compile(r"\p{L}[\p{L}\p{M}'’\-]*")


def _without_entities(text: str) -> str:
    for url in extract_urls(text):
        text = text.replace(url, " ")
    return regex.sub(r"[#@＃＠][\w.@\-]+", " ", text)


def _accessibility_problems(
    name: str, text: str, media: list[MediaInfo], limits: NetworkLimits
) -> list[Problem]:
    problems = []
    for index, m in enumerate(media):
        if m.kind == "image" and not m.alt_text.strip():
            problems.append(
                Problem(
                    "image_no_alt",
                    f"media[{index}]",
                    f"Image {index + 1} sans texte alternatif : décrivez-la pour les personnes aveugles "
                    "ou malvoyantes.",
                    WARNING,
                )
            )
        if limits.max_alt_chars is not None and len(m.alt_text) > limits.max_alt_chars:
            problems.append(
                Problem(
                    "alt_text_too_long",
                    f"media[{index}]",
                    f"Texte alternatif du média {index + 1} trop long pour {name} : {_int(len(m.alt_text))} "
                    f"caractères, {_int(limits.max_alt_chars)} au maximum.",
                )
            )
        if m.kind == "video" and not m.has_subtitles:
            problems.append(
                Problem(
                    "video_no_subtitles",
                    f"media[{index}]",
                    f"Vidéo {index + 1} sans sous-titres : sous-titrez-la pour les personnes sourdes ou "
                    "malentendantes et pour qui regarde sans le son.",
                    WARNING,
                )
            )
        if (
            m.kind == "video"
            and limits.prefers_vertical_video
            and m.width
            and m.height
            and m.width >= m.height
        ):
            problems.append(
                Problem(
                    "video_not_vertical",
                    f"media[{index}]",
                    f"Vidéo {index + 1} horizontale ou carrée ({m.width}×{m.height} px) : {name} met en avant "
                    "les vidéos verticales (9:16).",
                    WARNING,
                )
            )
    for tag in dict.fromkeys(extract_hashtags(text)):
        # Underscores and digits already separate words for a screen reader.
        longest_run = max(len(run) for run in regex.split(r"[\W_\d]+", tag))
        if longest_run > CAMELCASE_MIN_LETTERS and tag == tag.lower():
            problems.append(
                Problem(
                    "hashtag_not_camelcase",
                    "text",
                    f"Hashtag #{tag} tout en minuscules : mettez une majuscule à chaque mot "
                    "(ex. #FeteDeLaMusique) pour que les lecteurs d'écran le lisent mot à mot.",
                    WARNING,
                )
            )
    if _FAKE_STYLED.search(text):
        problems.append(
            Problem(
                "fake_bold",
                "text",
                "Lettres « stylisées » Unicode (faux gras ou italique, ex. 𝐁𝐨𝐧𝐣𝐨𝐮𝐫) : les lecteurs d'écran "
                "les lisent mal ou pas du tout, et la recherche ne les trouve pas. Utilisez des lettres normales.",
                WARNING,
            )
        )
    plain = _without_entities(text)
    words = _WORD.findall(plain)
    cased = [ch for ch in plain if ch.isupper() or ch.islower()]
    if len(words) >= ALL_CAPS_MIN_WORDS and cased:
        upper_share = sum(1 for ch in cased if ch.isupper()) / len(cased)
        if upper_share > ALL_CAPS_SHARE:
            problems.append(
                Problem(
                    "all_caps",
                    "text",
                    "Texte en majuscules : il est plus difficile à lire, et certains lecteurs d'écran "
                    "l'épellent lettre par lettre. Écrivez en minuscules.",
                    WARNING,
                )
            )
    emojis = count_emojis(text)
    if emojis > MAX_EMOJIS:
        problems.append(
            Problem(
                "many_emojis",
                "text",
                f"{emojis} emojis : les lecteurs d'écran les lisent tous à voix haute. Gardez-en "
                f"{MAX_EMOJIS} au plus, à la fin, sans remplacer de mots.",
                WARNING,
            )
        )
    if _POINT_MEDIAN.search(text):
        problems.append(
            Problem(
                "point_median",
                "text",
                "Point médian (ex. « habitant·es ») : certains lecteurs d'écran le lisent mal. "
                "Ce n'est pas interdit ; une formulation neutre ou les deux formes (« habitantes et "
                "habitants ») se lisent mieux.",
                WARNING,
            )
        )
    return problems


def validate_variant(
    network: Network | str,
    text: str,
    media: list[MediaInfo],
    link: str = "",
    limits: NetworkLimits | None = None,
    *,
    title: str | None = None,
) -> list[Problem]:
    """Every problem of one variant: errors first (the network would refuse), then warnings."""
    network = Network(network)
    limits = limits or get_limits(network)
    name = NETWORK_LABELS[network]
    problems = _text_problems(name, text, link, limits)
    if title is not None and limits.max_title_chars is not None:
        if len(title) > limits.max_title_chars:
            problems.append(
                Problem(
                    "title_too_long",
                    "title",
                    f"Titre trop long pour {name} : {_int(len(title))} caractères, "
                    f"{_int(limits.max_title_chars)} au maximum.",
                )
            )
        if any(ch in limits.forbidden_chars for ch in title):
            problems.append(
                Problem("title_forbidden_chars", "title", f"{name} refuse « < » et « > » dans le titre.")
            )
    if not text.strip() and not media and not link.strip() and limits.text_only_allowed:
        problems.append(Problem("empty_post", "text", f"Publication vide pour {name} : écrivez un texte."))
    problems += _count_problems(name, media, limits)
    for index, m in enumerate(media):
        problems += _one_media_problems(name, index, m, limits)
    problems += _accessibility_problems(name, text, media, limits)
    return sorted(problems, key=lambda p: p.severity != ERROR)
