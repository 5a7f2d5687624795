import io
from pathlib import Path

import pytest
from PIL import Image

from parvis.publishing.media import MediaError, probe_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def image_bytes(fmt="PNG", size=(64, 48), mode="RGB", exif_orientation=None) -> bytes:
    buf = io.BytesIO()
    im = Image.new(mode, size, (200, 30, 60) if mode == "RGB" else 1)
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize(
    "fmt, size, mime",
    [
        ("PNG", (64, 48), "image/png"),
        ("PNG", (1, 1), "image/png"),
        ("JPEG", (1080, 1350), "image/jpeg"),
        ("JPEG", (1920, 1080), "image/jpeg"),
        ("GIF", (100, 100), "image/gif"),
        ("WEBP", (300, 200), "image/webp"),
    ],
)
def test_images_are_probed_from_content(fmt, size, mime):
    data = image_bytes(fmt, size)
    info = probe_file(io.BytesIO(data), f"photo.{fmt.lower()}")
    assert info.kind == "image"
    assert info.mime_type == mime
    assert (info.width, info.height) == size
    assert info.size_bytes == len(data)
    assert info.duration_s is None


def test_a_path_works_too(tmp_path):
    path = tmp_path / "beffroi.jpg"
    path.write_bytes(image_bytes("JPEG", (800, 600)))
    info = probe_file(path, "beffroi.jpg", alt_text="Le beffroi")
    assert (info.mime_type, info.width, info.height, info.alt_text) == ("image/jpeg", 800, 600, "Le beffroi")


def test_type_comes_from_content_not_name():
    info = probe_file(io.BytesIO(image_bytes("PNG")), "photo.jpg")
    assert info.mime_type == "image/png"


def test_exif_rotation_swaps_dimensions():
    info = probe_file(io.BytesIO(image_bytes("JPEG", (400, 300), exif_orientation=6)), "portrait.jpg")
    assert (info.width, info.height) == (300, 400)


def test_text_file_renamed_jpg_is_refused():
    with pytest.raises(MediaError, match="ni une image ni une vidéo") as exc:
        probe_file(
            io.BytesIO("Compte rendu du conseil municipal, séance du 3 juin\n".encode()), "compte-rendu.jpg"
        )
    assert "compte-rendu.jpg" in exc.value.message


def test_empty_file_is_refused():
    with pytest.raises(MediaError, match="vide"):
        probe_file(io.BytesIO(b""), "vide.png")


def test_size_cap():
    data = image_bytes("PNG", (64, 64))
    assert probe_file(io.BytesIO(data), "a.png", max_bytes=len(data)).size_bytes == len(data)
    with pytest.raises(MediaError, match="trop lourd"):
        probe_file(io.BytesIO(data), "a.png", max_bytes=len(data) - 1)


def test_corrupt_png_is_refused():
    data = bytearray(image_bytes("PNG", (64, 64)))
    data[60:80] = b"\x00" * 20  # damages the image data, the CRC no longer matches
    with pytest.raises(MediaError, match="illisible"):
        probe_file(io.BytesIO(bytes(data)), "abime.png")


def test_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", (600, 400))
    with pytest.raises(MediaError, match="illisible"):
        probe_file(io.BytesIO(data[: len(data) // 2]), "coupe.jpg")


def test_jpeg_header_only_is_refused():
    with pytest.raises(MediaError, match="illisible"):
        probe_file(io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * 100), "faux.jpg")


def test_decompression_bomb_is_refused_before_decoding():
    # A tiny file announcing 20,000 × 20,000 pixels.
    data = image_bytes("PNG", (20_000, 20_000), mode="1")
    assert len(data) < 200_000
    with pytest.raises(MediaError, match="trop grande"):
        probe_file(io.BytesIO(data), "bombe.png")


def test_pixel_cap_parameter():
    data = image_bytes("PNG", (100, 100))
    with pytest.raises(MediaError, match="trop grande"):
        probe_file(io.BytesIO(data), "a.png", max_pixels=9_999)


def test_heic_is_refused_with_advice():
    data = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100
    with pytest.raises(MediaError, match="HEIC"):
        probe_file(io.BytesIO(data), "IMG_0001.HEIC")


def test_video_fixture_vertical():
    path = FIXTURES / "vertical-180x320-2s.mp4"
    info = probe_file(path, "clip.mp4")
    assert info.kind == "video"
    assert info.mime_type == "video/mp4"
    assert (info.width, info.height) == (180, 320)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.size_bytes == path.stat().st_size
    assert info.has_subtitles is False


def test_video_rotation_flag_swaps_dimensions():
    # Encoded as 320×180 landscape pixels with a 90° display rotation, as phones record.
    info = probe_file(FIXTURES / "rotated-320x180-1s.mp4", "telephone.mp4")
    assert (info.width, info.height) == (180, 320)
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


def test_video_from_file_object():
    data = (FIXTURES / "vertical-180x320-2s.mp4").read_bytes()
    info = probe_file(io.BytesIO(data), "clip.mov")
    assert (info.kind, info.mime_type, info.width) == ("video", "video/mp4", 180)


def test_mp4_header_with_garbage_is_refused():
    data = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x17" * 5000
    with pytest.raises(MediaError, match="vidéo"):
        probe_file(io.BytesIO(data), "casse.mp4")


def test_truncated_video_is_refused():
    # Cut before the end of the movie header: no picture can be read.
    data = (FIXTURES / "vertical-180x320-2s.mp4").read_bytes()[:200]
    with pytest.raises(MediaError):
        probe_file(io.BytesIO(data), "coupe.mp4")
