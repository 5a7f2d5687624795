"""What an uploaded media file really is, read from its content (never from its name or declared type).

`probe_file` returns the MediaInfo that parvis.domain.validation checks against each network's limits.
Images are decoded with Pillow (after a header-only size check, so a decompression bomb is refused
before any pixel is allocated); videos are read with MediaInfo (pymediainfo, library bundled).
"""

from __future__ import annotations

import io
import os
import warnings
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError
from pymediainfo import MediaInfo as _MediaInfoParser

from parvis.domain.validation import MediaInfo

DEFAULT_MAX_BYTES = 4 * 1024**3  # the largest file any network takes in one post (TikTok, 4 GB)
DEFAULT_MAX_PIXELS = 100_000_000  # far beyond any network's image limit; refuses decompression bombs

IMAGE_TYPES = "JPEG, PNG, GIF, WebP, BMP, TIFF"
VIDEO_TYPES = "MP4, MOV, WebM, MKV, AVI"

# Pillow format name → MIME type. MPO is how Pillow names JPEGs from some cameras.
_PIL_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "AVIF": "image/avif",
}
_EXIF_ORIENTATION = 0x0112
_ROTATED_ORIENTATIONS = {5, 6, 7, 8}  # EXIF orientations that swap width and height


class MediaError(Exception):
    """A file Parvis cannot use as a media; the message is French and shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _size_label(n: int) -> str:
    for unit, factor in (("Go", 10**9), ("Mo", 10**6), ("ko", 10**3)):
        if n >= factor:
            return f"{n / factor:.1f}".rstrip("0").rstrip(".").replace(".", ",") + f" {unit}"
    return f"{n} octets"


def _sniff(head: bytes) -> tuple[str, str] | None:
    """(kind, MIME type) from the first bytes, or None when no supported format matches."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "image/webp"
    if head[:2] == b"BM":
        return "image", "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "image/tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "image", "image/avif"
        if brand in (b"heic", b"heix", b"hevc", b"mif1", b"msf1"):
            return "image", "image/heic"
        if brand == b"qt  ":
            return "video", "video/quicktime"
        if brand.startswith(b"3g"):
            return "video", "video/3gpp"
        return "video", "video/mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "video", "video/quicktime"  # QuickTime files without an ftyp box
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video", "video/webm" if b"webm" in head else "video/x-matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "video/x-msvideo"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "video", "video/mpeg"
    if head[:3] == b"FLV":
        return "video", "video/x-flv"
    return None


def _open(source: str | os.PathLike | BinaryIO) -> tuple[BinaryIO, bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True  # noqa: SIM115 - closed by probe_file
    return source, False


def _probe_image(fileobj: BinaryIO, name: str, max_pixels: int) -> tuple[str, int, int]:
    unreadable = MediaError(
        f"L'image « {name} » est illisible ou abîmée : enregistrez-la de nouveau et réessayez."
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            fileobj.seek(0)
            with Image.open(fileobj) as im:  # reads the header only
                width, height = im.size
                if width * height > max_pixels:
                    raise MediaError(
                        f"L'image « {name} » est trop grande : {width}×{height} pixels, "
                        f"{max_pixels:,} pixels au maximum.".replace(",", "\u202f")
                    )
                im.verify()
            fileobj.seek(0)
            with Image.open(fileobj) as im:
                mime = _PIL_MIME.get(im.format or "")
                if mime is None:
                    raise MediaError(
                        f"Format d'image non pris en charge pour « {name} » ({im.format}). "
                        f"Formats acceptés : {IMAGE_TYPES}."
                    )
                orientation = im.getexif().get(_EXIF_ORIENTATION)
                im.load()  # decodes every pixel: a truncated file fails here, not at publishing time
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"L'image « {name} » est trop grande pour être traitée sans risque.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise unreadable from exc
    if orientation in _ROTATED_ORIENTATIONS:
        width, height = height, width
    return mime, width, height


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _probe_video(fileobj: BinaryIO, name: str) -> tuple[int, int, float | None, bool]:
    unreadable = MediaError(
        f"La vidéo « {name} » est illisible ou abîmée : exportez-la de nouveau et réessayez."
    )
    fileobj.seek(0)
    try:
        info = _MediaInfoParser.parse(fileobj)
    except Exception as exc:  # the library raises plain exceptions on unreadable input
        raise unreadable from exc
    video = next((t for t in info.tracks if t.track_type == "Video"), None)
    if video is None:
        raise MediaError(f"« {name} » ne contient aucune image vidéo lisible.")
    width, height = _number(video.width), _number(video.height)
    if not width or not height:
        raise unreadable
    # Phones record landscape pixels and a rotation flag: networks show the rotated picture.
    rotation = _number(video.rotation) or 0.0
    if round(rotation) % 180 == 90:
        width, height = height, width
    general = next((t for t in info.tracks if t.track_type == "General"), None)
    duration_ms = _number(general.duration if general is not None else None) or _number(video.duration)
    has_subtitles = any(t.track_type == "Text" for t in info.tracks)
    return int(width), int(height), (duration_ms / 1000 if duration_ms else None), has_subtitles


def probe_file(
    path_or_fileobj: str | os.PathLike | BinaryIO,
    declared_name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    alt_text: str = "",
) -> MediaInfo:
    """Kind, type, size, dimensions and duration of an uploaded file, read from its content.

    `declared_name` is only used in messages. Raises MediaError (French message) when the file is
    empty, too heavy, of an unsupported type, corrupt or truncated.
    """
    name = os.path.basename(declared_name) or "fichier"
    fileobj, owned = _open(path_or_fileobj)
    try:
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
        if size == 0:
            raise MediaError(f"Le fichier « {name} » est vide.")
        if size > max_bytes:
            raise MediaError(
                f"Le fichier « {name} » est trop lourd : {_size_label(size)}, {_size_label(max_bytes)} au maximum."
            )
        fileobj.seek(0)
        sniffed = _sniff(fileobj.read(64))
        if sniffed is None:
            raise MediaError(
                f"« {name} » n'est ni une image ni une vidéo reconnue (le contenu du fichier compte, pas son "
                f"nom). Images acceptées : {IMAGE_TYPES}. Vidéos acceptées : {VIDEO_TYPES}."
            )
        kind, mime = sniffed
        if mime == "image/heic":
            raise MediaError(
                f"Le format HEIC de « {name} » n'est pas pris en charge : exportez la photo en JPEG."
            )
        if kind == "image":
            mime, width, height = _probe_image(fileobj, name, max_pixels)
            return MediaInfo("image", mime, size, width, height, None, alt_text, False)
        width, height, duration, has_subtitles = _probe_video(fileobj, name)
        return MediaInfo("video", mime, size, width, height, duration, alt_text, has_subtitles)
    finally:
        if owned:
            fileobj.close()
