import pytest

from parvis.domain.limits import get_limits
from parvis.domain.networks import Network
from parvis.domain.validation import ERROR, WARNING, MediaInfo, Problem, has_errors, validate_variant

MB = 1_000_000


def img(mime="image/jpeg", size=100_000, w=1080, h=1080, alt="Le beffroi d'Arras au coucher du soleil"):
    return MediaInfo("image", mime, size, w, h, None, alt, False)


def vid(mime="video/mp4", size=5 * MB, w=1080, h=1920, duration=30.0, subtitles=True, alt="Clip"):
    return MediaInfo("video", mime, size, w, h, duration, alt, subtitles)


def codes(problems, severity=None):
    return [p.code for p in problems if severity is None or p.severity == severity]


# (network, text, media, link, expected code) — a clean variant on the left of each pair, a faulty one
# on the right; the clean one must not raise that code.
CASES = [
    # text length
    ("x", "a" * 280, [], "", "text_too_long", False),
    ("x", "a" * 281, [], "", "text_too_long", True),
    ("x", "日" * 140, [], "", "text_too_long", False),
    ("x", "日" * 141, [], "", "text_too_long", True),
    ("x", "https://arras.fr/" + "a" * 300, [], "", "text_too_long", False),  # a URL costs 23
    ("bluesky", "é" * 300, [], "", "text_too_long", False),
    ("bluesky", "é" * 301, [], "", "text_too_long", True),
    ("mastodon", "a" * 500, [], "", "text_too_long", False),
    ("mastodon", "a" * 501, [], "", "text_too_long", True),
    ("threads", "a" * 496 + "😀", [], "", "text_too_long", False),  # 496 + 4 bytes
    ("threads", "a" * 497 + "😀", [], "", "text_too_long", True),
    # Bluesky bytes: 300 graphemes of 4 bytes = 1,200 bytes; families of 25 bytes overflow 3,000
    ("bluesky", "😀" * 300, [], "", "text_too_many_bytes", False),
    ("bluesky", "👨\u200d👩\u200d👧\u200d👦" * 121, [], "", "text_too_many_bytes", True),
    # YouTube bytes and forbidden characters
    ("youtube", "é" * 2500, [vid(w=1920, h=1080)], "", "text_too_long", False),
    ("youtube", "é" * 2501, [vid(w=1920, h=1080)], "", "text_too_long", True),
    ("youtube", "Conseil municipal", [vid(w=1920, h=1080)], "", "text_forbidden_chars", False),
    ("youtube", "Budget <2026>", [vid(w=1920, h=1080)], "", "text_forbidden_chars", True),
    # hashtags, mentions, links
    ("instagram", "#A #B #C #D #E", [img(w=1080, h=1350)], "", "too_many_hashtags", False),
    ("instagram", "#A #B #C #D #E #F", [img(w=1080, h=1350)], "", "too_many_hashtags", True),
    ("threads", "#Arras", [], "", "too_many_hashtags", False),
    ("threads", "#Arras #Rentree", [], "", "too_many_hashtags", True),
    ("instagram", " ".join(f"@u{i}" for i in range(20)), [img()], "", "too_many_mentions", False),
    ("instagram", " ".join(f"@u{i}" for i in range(21)), [img()], "", "too_many_mentions", True),
    ("threads", " ".join(f"https://a.fr/{i}" for i in range(5)), [], "", "too_many_links", False),
    (
        "threads",
        " ".join(f"https://a.fr/{i}" for i in range(5)) + " https://a.fr/0/",
        [],
        "",
        "too_many_links",
        False,
    ),
    (
        "threads",
        " ".join(f"https://a.fr/{i}" for i in range(5)),
        [],
        "https://a.fr/0",
        "too_many_links",
        False,
    ),
    ("threads", " ".join(f"https://a.fr/{i}" for i in range(5)), [], "https://b.fr", "too_many_links", True),
    ("threads", " ".join(f"https://a.fr/{i}" for i in range(6)), [], "", "too_many_links", True),
    # media required
    ("instagram", "Bonjour", [img()], "", "media_required", False),
    ("instagram", "Bonjour", [], "", "media_required", True),
    ("tiktok", "Bonjour", [], "", "media_required", True),
    ("youtube", "Bonjour", [], "", "media_required", True),
    ("snapchat", "Bonjour", [], "", "media_required", True),
    ("facebook", "Bonjour", [], "", "media_required", False),
    # empty post
    ("mastodon", "Bonjour", [], "", "empty_post", False),
    ("mastodon", "  ", [img()], "", "empty_post", False),
    ("mastodon", "  ", [], "", "empty_post", True),
    # counts and mixing
    ("x", "a", [img()] * 4, "", "too_many_images", False),
    ("x", "a", [img()] * 5, "", "too_many_images", True),
    ("x", "a", [vid(w=1280, h=720)], "", "too_many_videos", False),
    ("x", "a", [vid(w=1280, h=720)] * 2, "", "too_many_videos", True),
    ("x", "a", [img(), vid(w=1280, h=720)], "", "media_mixed", True),
    ("instagram", "a", [img(w=1080, h=1350), vid()], "", "media_mixed", False),
    ("instagram", "a", [img(w=1080, h=1350)] * 10, "", "too_many_images", False),
    ("instagram", "a", [img(w=1080, h=1350)] * 6 + [vid()] * 5, "", "too_many_media", True),
    ("snapchat", "a", [img()], "", "too_many_media", False),
    ("snapchat", "a", [img(), img()], "", "too_many_images", True),
    ("youtube", "a", [img()], "", "images_not_accepted", True),
    # image type, weight, ratio, size
    ("tiktok", "a", [img("image/jpeg")], "", "image_type", False),
    ("tiktok", "a", [img("image/png")], "", "image_type", True),
    ("instagram", "a", [img("image/png", w=1080, h=1350)], "", "image_type", True),
    ("bluesky", "a", [img(size=2_000_000)], "", "image_too_heavy", False),
    ("bluesky", "a", [img(size=2_000_001)], "", "image_too_heavy", True),
    ("instagram", "a", [img(size=8 * 1024 * 1024)], "", "image_too_heavy", False),
    ("instagram", "a", [img(size=8 * 1024 * 1024 + 1)], "", "image_too_heavy", True),
    ("instagram", "a", [img(w=1080, h=1350)], "", "image_ratio", False),  # 4:5
    ("instagram", "a", [img(w=1200, h=628)], "", "image_ratio", False),  # 1.91:1, rounded
    ("instagram", "a", [img(w=1080, h=1920)], "", "image_ratio", True),  # 9:16 is too tall
    ("instagram", "a", [img(w=1440, h=600)], "", "image_ratio", True),  # 2.4:1 is too wide
    ("instagram", "a", [img(w=320, h=320)], "", "image_too_small", False),
    ("instagram", "a", [img(w=300, h=300)], "", "image_too_small", True),
    ("instagram", "a", [img(w=2000, h=2000)], "", "image_too_large", True),
    ("mastodon", "a", [img(w=8000, h=4000)], "", "image_too_many_pixels", False),
    ("mastodon", "a", [img(w=8000, h=5000)], "", "image_too_many_pixels", True),
    # video type, weight, duration, ratio, size
    ("x", "a", [vid("video/webm", w=1280, h=720)], "", "video_type", True),
    ("x", "a", [vid(size=512 * MB, w=1280, h=720)], "", "video_too_heavy", False),
    ("x", "a", [vid(size=512 * MB + 1, w=1280, h=720)], "", "video_too_heavy", True),
    ("linkedin", "a", [vid(size=74_999, w=1280, h=720)], "", "video_too_light", True),
    ("x", "a", [vid(duration=140, w=1280, h=720)], "", "video_too_long", False),
    ("x", "a", [vid(duration=140.5, w=1280, h=720)], "", "video_too_long", True),
    ("x", "a", [vid(duration=0.5, w=1280, h=720)], "", "video_too_short", False),
    ("x", "a", [vid(duration=0.4, w=1280, h=720)], "", "video_too_short", True),
    ("snapchat", "a", [vid(duration=4.9)], "", "video_too_short", True),
    ("snapchat", "a", [vid(duration=61)], "", "video_too_long", True),
    ("snapchat", "a", [vid(w=1080, h=1920)], "", "video_ratio", False),
    ("snapchat", "a", [vid(w=1920, h=1080)], "", "video_ratio", True),
    ("x", "a", [vid(w=1280, h=427)], "", "video_ratio", False),  # 3:1
    ("x", "a", [vid(w=1280, h=400)], "", "video_ratio", True),
    ("linkedin", "a", [vid(w=1080, h=2592)], "", "video_ratio", False),  # 1:2.4
    ("linkedin", "a", [vid(w=1080, h=2700)], "", "video_ratio", True),
    ("snapchat", "a", [vid(w=540, h=960)], "", "video_too_small", False),
    ("snapchat", "a", [vid(w=360, h=640)], "", "video_too_small", True),
    ("x", "a", [vid(w=1920, h=1080)], "", "video_too_large", True),
    ("mastodon", "a", [vid(w=3840, h=2160)], "", "video_too_many_pixels", False),
    ("mastodon", "a", [vid(w=4096, h=2160)], "", "video_too_many_pixels", True),
    ("mastodon", "a", [img(alt="x" * 1500)], "", "alt_text_too_long", False),
    ("mastodon", "a", [img(alt="x" * 1501)], "", "alt_text_too_long", True),
]


@pytest.mark.parametrize("network, text, media, link, code, expected", CASES)
def test_errors(network, text, media, link, code, expected):
    problems = validate_variant(network, text, media, link)
    found = [p for p in problems if p.code == code]
    assert bool(found) is expected, problems
    for p in found:
        assert p.severity == ERROR
        assert p.message


WARNING_CASES = [
    ("mastodon", "a", [img(alt="Le beffroi")], "image_no_alt", False),
    ("mastodon", "a", [img(alt="   ")], "image_no_alt", True),
    ("mastodon", "a", [vid(w=1280, h=720, subtitles=True)], "video_no_subtitles", False),
    ("mastodon", "a", [vid(w=1280, h=720, subtitles=False)], "video_no_subtitles", True),
    ("tiktok", "a", [vid(w=1080, h=1920)], "video_not_vertical", False),
    ("tiktok", "a", [vid(w=1920, h=1080)], "video_not_vertical", True),
    ("youtube", "a", [vid(w=1920, h=1080)], "video_not_vertical", False),  # horizontal is YouTube's home
    ("mastodon", "#FeteDeLaMusique", [], "hashtag_not_camelcase", False),
    ("mastodon", "#arras #rentree #conseil", [], "hashtag_not_camelcase", False),  # short: can't tell
    ("mastodon", "#journeesdupatrimoine", [], "hashtag_not_camelcase", True),  # 20 letters
    ("mastodon", "#fetedelamusiq", [], "hashtag_not_camelcase", True),  # 13 letters
    ("mastodon", "#fetedelamusi", [], "hashtag_not_camelcase", False),  # 12 letters
    ("mastodon", "#fete_de_la_musique", [], "hashtag_not_camelcase", False),  # words are separated
    ("mastodon", "#journeesdupatrimoine2026", [], "hashtag_not_camelcase", True),
    ("mastodon", "Bonjour à tous", [], "fake_bold", False),
    ("mastodon", "𝐁𝐨𝐧𝐣𝐨𝐮𝐫 à tous", [], "fake_bold", True),
    ("mastodon", "𝟐𝟎𝟐𝟔", [], "fake_bold", True),  # mathematical digits, U+1D7CE..
    ("mastodon", "CONSEIL MUNICIPAL CE SOIR À 19:00", [], "all_caps", False),  # 5 words
    ("mastodon", "CONSEIL MUNICIPAL CE SOIR À 19 H", [], "all_caps", True),  # 6 words
    ("mastodon", "GRANDE FÊTE DE LA MUSIQUE CE SOIR", [], "all_caps", True),
    ("mastodon", "La SNCF et la CAF et l'URSSAF vous informent", [], "all_caps", False),
    ("mastodon", "Fête ce soir 🎉🎶☀️", [], "many_emojis", False),
    ("mastodon", "Fête ce soir 🎉🎶☀️🇫🇷", [], "many_emojis", True),
    ("mastodon", "Chères habitantes et chers habitants", [], "point_median", False),
    ("mastodon", "Arras · Pas-de-Calais", [], "point_median", False),  # a separator, not inclusive writing
    ("mastodon", "Cher·es habitant·es", [], "point_median", True),
]


@pytest.mark.parametrize("network, text, media, code, expected", WARNING_CASES)
def test_accessibility_warnings(network, text, media, code, expected):
    problems = validate_variant(network, text, media)
    found = [p for p in problems if p.code == code]
    assert bool(found) is expected, problems
    for p in found:
        assert p.severity == WARNING


def test_length_message_names_network_and_figures():
    problems = validate_variant("x", "a" * 312, [])
    assert problems == [
        Problem(
            "text_too_long",
            "text",
            "Texte trop long pour X : 312 caractères comptés comme X les compte, 280 au maximum.",
            ERROR,
        )
    ]


def test_big_numbers_use_french_separator():
    [problem] = validate_variant("linkedin", "a" * 3001, [])
    assert "3\u202f001 caractères" in problem.message
    assert "3\u202f000 au maximum" in problem.message


def test_ratio_message_gives_ratio_and_range():
    [problem] = [
        p for p in validate_variant("instagram", "a", [img(w=1080, h=1920)]) if p.code == "image_ratio"
    ]
    assert problem.field == "media[0]"
    assert "1080×1920 px" in problem.message
    assert "0,56:1" in problem.message
    assert "de 4:5 à 1,91:1" in problem.message


def test_weight_message_shows_exact_bytes_when_rounding_hides_the_gap():
    [problem] = [
        p for p in validate_variant("bluesky", "a", [img(size=2_000_001)]) if p.code == "image_too_heavy"
    ]
    assert "2\u202f000\u202f001 octets" in problem.message
    [problem] = [
        p for p in validate_variant("bluesky", "a", [img(size=3_500_000)]) if p.code == "image_too_heavy"
    ]
    assert "3,5 Mo, 2 Mo au maximum" in problem.message


def test_duration_message():
    [problem] = [
        p
        for p in validate_variant("x", "a", [vid(duration=150, w=1280, h=720)])
        if p.code == "video_too_long"
    ]
    assert "2 min 30 s, 2 min 20 s au maximum" in problem.message


def test_media_field_points_at_the_right_item():
    problems = validate_variant("mastodon", "a", [img(), img(alt="")])
    [warning] = [p for p in problems if p.code == "image_no_alt"]
    assert warning.field == "media[1]"
    assert "Image 2" in warning.message


def test_errors_come_before_warnings():
    problems = validate_variant("x", "𝐁" * 300, [img(alt="")])
    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda s: s != ERROR)
    assert has_errors(problems)


def test_clean_variants_have_no_problem():
    assert (
        validate_variant("x", "Conseil municipal ce soir à 19 h. #Arras https://arras.fr/conseil", []) == []
    )
    assert validate_variant("instagram", "Le beffroi #Arras", [img(w=1080, h=1350)]) == []
    assert validate_variant("tiktok", "Fête de la musique", [vid()]) == []
    assert not has_errors(validate_variant("youtube", "Conseil", [vid(w=1920, h=1080)]))


def test_installation_limits_are_used():
    limits = get_limits("mastodon", {"mastodon": {"max_chars": 1000}})
    assert codes(validate_variant("mastodon", "a" * 900, [], limits=limits)) == []
    assert codes(validate_variant("mastodon", "a" * 900, [])) == ["text_too_long"]


@pytest.mark.parametrize(
    "title, expected",
    [("Conseil municipal", []), ("a" * 101, ["title_too_long"]), ("<b>", ["title_forbidden_chars"])],
)
def test_youtube_title(title, expected):
    assert (
        codes(validate_variant(Network.YOUTUBE, "a", [vid(w=1920, h=1080)], title=title), ERROR) == expected
    )
