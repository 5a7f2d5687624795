"""What each network accepts in one post, as data (NETWORKS.md §0.2 and each "Content limits" section).

Each network carries the evidence tag of its figures in a comment: [P] primary source, [S] secondary,
[U] unverified. An installation may override any field through its settings (see `get_limits`), e.g. a
Mastodon instance that allows 1,000 characters.

Aspect ratios are (width, height) pairs, e.g. (4, 5) for 4:5 and (1.91, 1) for 1.91:1, so that messages
can show them the way networks write them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from parvis.domain.networks import Network

MB = 1_000_000
MIB = 1024 * 1024
GB = 1_000_000_000

# How a network counts the length of a text; parvis.domain.text implements each one.
COUNT_X_WEIGHTED = "x_weighted"  # NFC code points weighted 1 or 2, URL = 23, emoji = 2
COUNT_GRAPHEMES = "graphemes"  # user-perceived characters (Unicode extended grapheme clusters)
COUNT_MASTODON = "mastodon"  # graphemes, URL = 23, @user@domain counts as @user
COUNT_THREADS = "threads"  # graphemes, but an emoji counts as its UTF-8 byte length
COUNT_UTF8_BYTES = "utf8_bytes"
COUNT_UTF16 = "utf16"  # UTF-16 code units
COUNT_CODE_POINTS = "code_points"

Ratio = tuple[float, float]

JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
MP4 = "video/mp4"
MOV = "video/quicktime"
WEBM = "video/webm"


@dataclass(frozen=True)
class NetworkLimits:
    network: Network
    # Text
    max_chars: int
    counting: str
    max_bytes: int | None = None  # a second, byte-based text limit (Bluesky)
    url_length: int | None = None  # how many characters a URL costs, when the network shortens it
    max_title_chars: int | None = None  # YouTube video title
    forbidden_chars: str = ""  # characters the network rejects in the text (YouTube: < and >)
    max_hashtags: int | None = None
    max_mentions: int | None = None
    max_links: int | None = None
    text_only_allowed: bool = True
    # Media in one post
    max_media: int = 0
    max_images: int = 0
    max_videos: int = 0
    can_mix_media: bool = False
    max_alt_chars: int | None = None
    # Images
    image_mime_types: frozenset[str] = frozenset()
    max_image_bytes: int | None = None
    min_image_ratio: Ratio | None = None  # width:height, the narrowest accepted
    max_image_ratio: Ratio | None = None  # width:height, the widest accepted
    min_image_width: int | None = None
    max_image_width: int | None = None
    min_image_height: int | None = None
    max_image_height: int | None = None
    max_image_pixels: int | None = None
    # Videos
    video_mime_types: frozenset[str] = frozenset()
    min_video_bytes: int | None = None
    max_video_bytes: int | None = None
    min_video_duration_s: float | None = None
    max_video_duration_s: float | None = None
    min_video_ratio: Ratio | None = None
    max_video_ratio: Ratio | None = None
    min_video_width: int | None = None
    max_video_width: int | None = None
    min_video_height: int | None = None
    max_video_height: int | None = None
    max_video_pixels: int | None = None
    # Advice, not a rule: the network's feed favours vertical video (a warning, never an error).
    prefers_vertical_video: bool = False


DEFAULT_LIMITS: dict[Network, NetworkLimits] = {
    # [U] text and media figures: Meta documents no hard caps for Page feed posts; 4 MB is the advised
    # photo size and 10 photos the tested multi-photo post. Feed video (not Reel): 10 GB / 240 min.
    Network.FACEBOOK: NetworkLimits(
        network=Network.FACEBOOK,
        max_chars=63_206,
        counting=COUNT_CODE_POINTS,
        max_media=10,
        max_images=10,
        max_videos=1,
        can_mix_media=False,
        image_mime_types=frozenset({JPEG, PNG, GIF, "image/bmp", "image/tiff"}),
        max_image_bytes=4 * MB,
        video_mime_types=frozenset({MP4, MOV}),
        max_video_bytes=10 * GB,
        max_video_duration_s=240 * 60,
    ),
    # [S] caption 2,200, 5 hashtags since Dec 2025, 20 @-tags, image 4:5-1.91:1 and 320-1440 px wide;
    # [P] image <= 8 MiB; [S] Reels 3 s-15 min, 300 MB (EN page), carousel of 10 mixed items.
    # JPEG only: the official spec names no other image type. No text-only post.
    Network.INSTAGRAM: NetworkLimits(
        network=Network.INSTAGRAM,
        max_chars=2_200,
        counting=COUNT_CODE_POINTS,
        max_hashtags=5,
        max_mentions=20,
        text_only_allowed=False,
        max_media=10,
        max_images=10,
        max_videos=10,
        can_mix_media=True,
        image_mime_types=frozenset({JPEG}),
        max_image_bytes=8 * MIB,
        min_image_ratio=(4, 5),
        max_image_ratio=(1.91, 1),
        min_image_width=320,
        max_image_width=1440,
        video_mime_types=frozenset({MP4, MOV}),
        max_video_bytes=300 * MB,
        min_video_duration_s=3,
        max_video_duration_s=15 * 60,
        max_video_width=1920,
        prefers_vertical_video=True,
    ),
    # [P] 500 characters with emoji at their UTF-8 length, <= 5 links; [S] 1 topic tag, carousel of 20,
    # image JPEG/PNG <= 8 MB and aspect <= 10:1, video <= 5 min and 1 GB, aspect 0.01:1-10:1.
    Network.THREADS: NetworkLimits(
        network=Network.THREADS,
        max_chars=500,
        counting=COUNT_THREADS,
        max_hashtags=1,
        max_links=5,
        max_media=20,
        max_images=20,
        max_videos=20,
        can_mix_media=True,
        image_mime_types=frozenset({JPEG, PNG}),
        max_image_bytes=8 * MB,
        min_image_ratio=(1, 10),
        max_image_ratio=(10, 1),
        video_mime_types=frozenset({MP4, MOV}),
        max_video_bytes=1 * GB,
        max_video_duration_s=5 * 60,
        min_video_ratio=(0.01, 1),
        max_video_ratio=(10, 1),
        max_video_width=1920,
    ),
    # [S] commentary 3,000; image JPG/PNG/GIF < 36,152,320 px, 5 MB advised; [U] 2-20 images;
    # [S] video MP4 75 KB-500 MB (some sources say 200 MB), 3 s-30 min, aspect 1:2.4-2.4:1.
    Network.LINKEDIN: NetworkLimits(
        network=Network.LINKEDIN,
        max_chars=3_000,
        counting=COUNT_CODE_POINTS,
        max_media=20,
        max_images=20,
        max_videos=1,
        can_mix_media=False,
        image_mime_types=frozenset({JPEG, PNG, GIF}),
        max_image_bytes=5 * MB,
        max_image_pixels=36_152_320,
        video_mime_types=frozenset({MP4}),
        min_video_bytes=75_000,
        max_video_bytes=500 * MB,
        min_video_duration_s=3,
        max_video_duration_s=30 * 60,
        min_video_ratio=(1, 2.4),
        max_video_ratio=(2.4, 1),
    ),
    # [P] 280 weighted characters, URL = 23; 4 images or 1 GIF or 1 video; image JPG/PNG/GIF/WEBP
    # <= 5 MB (an animated GIF may reach 15 MB); video <= 512 MB, 0.5-140 s, 32x32-1280x1024,
    # aspect 1:3-3:1.
    Network.X: NetworkLimits(
        network=Network.X,
        max_chars=280,
        counting=COUNT_X_WEIGHTED,
        url_length=23,
        max_media=4,
        max_images=4,
        max_videos=1,
        can_mix_media=False,
        image_mime_types=frozenset({JPEG, PNG, GIF, WEBP}),
        max_image_bytes=5 * MB,
        video_mime_types=frozenset({MP4, MOV}),
        max_video_bytes=512 * MB,
        min_video_duration_s=0.5,
        max_video_duration_s=140,
        min_video_ratio=(1, 3),
        max_video_ratio=(3, 1),
        min_video_width=32,
        max_video_width=1280,
        min_video_height=32,
        max_video_height=1024,
    ),
    # [U] caption 2,200 UTF-16 units (a photo post has a 90-char title and 4,000-char description);
    # [P] video <= 4 GB; [S] duration <= 600 s for most creators (read max_video_post_duration_sec
    # at runtime), sides 360-4096 px; photos JPG/WEBP (no PNG) <= 20 MB, up to 35. Video or photos only.
    Network.TIKTOK: NetworkLimits(
        network=Network.TIKTOK,
        max_chars=2_200,
        counting=COUNT_UTF16,
        text_only_allowed=False,
        max_media=35,
        max_images=35,
        max_videos=1,
        can_mix_media=False,
        image_mime_types=frozenset({JPEG, WEBP}),
        max_image_bytes=20 * MB,
        video_mime_types=frozenset({MP4, MOV, WEBM}),
        max_video_bytes=4 * GB,
        max_video_duration_s=600,
        min_video_width=360,
        max_video_width=4096,
        min_video_height=360,
        max_video_height=4096,
        prefers_vertical_video=True,
    ),
    # [U] description 5,000 UTF-8 bytes, title 100 characters, no < or >; more than 60 hashtags make
    # YouTube ignore them all; [P] file <= 256 GB; [U] 12 h (15 min for unverified channels). One video.
    Network.YOUTUBE: NetworkLimits(
        network=Network.YOUTUBE,
        max_chars=5_000,
        counting=COUNT_UTF8_BYTES,
        max_title_chars=100,
        forbidden_chars="<>",
        max_hashtags=60,
        text_only_allowed=False,
        max_media=1,
        max_images=0,
        max_videos=1,
        video_mime_types=frozenset(
            {MP4, MOV, WEBM, "video/x-msvideo", "video/mpeg", "video/3gpp", "video/x-matroska", "video/x-flv"}
        ),
        max_video_bytes=256 * 1024**3,
        max_video_duration_s=12 * 3600,
    ),
    # [P] instance defaults: 500 graphemes, URL = 23, 4 attachments, image 16 MiB and 33,177,600 px,
    # video ~99 MiB and 8,294,400 px; [U] alt text 1,500; [U] a video is attached alone.
    Network.MASTODON: NetworkLimits(
        network=Network.MASTODON,
        max_chars=500,
        counting=COUNT_MASTODON,
        url_length=23,
        max_media=4,
        max_images=4,
        max_videos=1,
        can_mix_media=False,
        max_alt_chars=1_500,
        image_mime_types=frozenset({JPEG, PNG, GIF, WEBP, "image/heic", "image/heif", "image/avif"}),
        max_image_bytes=16 * MIB,
        max_image_pixels=33_177_600,
        video_mime_types=frozenset({MP4, MOV, WEBM}),
        max_video_bytes=103_809_024,
        max_video_pixels=8_294_400,
    ),
    # [P] 300 graphemes and 3,000 UTF-8 bytes; 4 images of <= 2,000,000 bytes or 1 MP4 video of
    # <= 300,000,000 bytes; [S] video <= 3 min.
    Network.BLUESKY: NetworkLimits(
        network=Network.BLUESKY,
        max_chars=300,
        counting=COUNT_GRAPHEMES,
        max_bytes=3_000,
        max_media=4,
        max_images=4,
        max_videos=1,
        can_mix_media=False,
        image_mime_types=frozenset({JPEG, PNG, GIF, WEBP}),
        max_image_bytes=2_000_000,
        video_mime_types=frozenset({MP4}),
        max_video_bytes=300_000_000,
        max_video_duration_s=180,
    ),
    # [S] exactly 1 media, no text-only post; Spotlight description 160 characters (hashtags included);
    # image JPEG/PNG <= 20 MB; video MP4 <= 500 MB, 5-60 s, >= 540x960, 9:16.
    Network.SNAPCHAT: NetworkLimits(
        network=Network.SNAPCHAT,
        max_chars=160,
        counting=COUNT_CODE_POINTS,
        text_only_allowed=False,
        max_media=1,
        max_images=1,
        max_videos=1,
        can_mix_media=False,
        image_mime_types=frozenset({JPEG, PNG}),
        max_image_bytes=20 * MB,
        video_mime_types=frozenset({MP4}),
        max_video_bytes=500 * MB,
        min_video_duration_s=5,
        max_video_duration_s=60,
        min_video_ratio=(9, 16),
        max_video_ratio=(9, 16),
        min_video_width=540,
        min_video_height=960,
        prefers_vertical_video=True,
    ),
}

_FIELDS = {f.name for f in dataclasses.fields(NetworkLimits)} - {"network"}
_SET_FIELDS = {"image_mime_types", "video_mime_types"}
_RATIO_FIELDS = {"min_image_ratio", "max_image_ratio", "min_video_ratio", "max_video_ratio"}


def ratio_value(ratio: Ratio) -> float:
    width, height = ratio
    return width / height


def _coerce(field: str, value):
    # Settings come from JSON or environment files: lists stand for sets and ratio pairs.
    if field in _SET_FIELDS and value is not None:
        return frozenset(value)
    if field in _RATIO_FIELDS and value is not None:
        width, height = value
        return (width, height)
    return value


def get_limits(network: Network | str, overrides: dict | None = None) -> NetworkLimits:
    """The limits of `network`, with an installation's overrides applied.

    `overrides` maps a network identifier to field values, e.g. {"mastodon": {"max_chars": 1000}}.
    An unknown network or field raises ValueError naming it: a typo in settings must not be ignored.
    """
    network = Network(network)
    limits = DEFAULT_LIMITS[network]
    if not overrides:
        return limits
    unknown_networks = sorted(set(overrides) - {n.value for n in Network})
    if unknown_networks:
        raise ValueError(f"Réseau inconnu dans les limites : {', '.join(unknown_networks)}")
    for key, values in overrides.items():
        unknown_fields = sorted(set(values) - _FIELDS)
        if unknown_fields:
            raise ValueError(f"Limite inconnue pour {key} : {', '.join(unknown_fields)}")
    values = overrides.get(network.value)
    if not values:
        return limits
    return dataclasses.replace(limits, **{k: _coerce(k, v) for k, v in values.items()})
