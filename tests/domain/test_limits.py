import dataclasses

import pytest

from parvis.domain.limits import DEFAULT_LIMITS, NetworkLimits, get_limits, ratio_value
from parvis.domain.networks import Network


def test_every_network_has_limits():
    assert set(DEFAULT_LIMITS) == set(Network)
    for network, limits in DEFAULT_LIMITS.items():
        assert limits.network is network


@pytest.mark.parametrize(
    "network, field, value",
    [
        (Network.X, "max_chars", 280),
        (Network.X, "url_length", 23),
        (Network.X, "max_images", 4),
        (Network.X, "can_mix_media", False),
        (Network.BLUESKY, "max_chars", 300),
        (Network.BLUESKY, "max_bytes", 3_000),
        (Network.BLUESKY, "max_image_bytes", 2_000_000),
        (Network.MASTODON, "max_chars", 500),
        (Network.MASTODON, "max_images", 4),
        (Network.THREADS, "max_chars", 500),
        (Network.THREADS, "max_links", 5),
        (Network.THREADS, "max_hashtags", 1),
        (Network.INSTAGRAM, "max_hashtags", 5),
        (Network.INSTAGRAM, "max_mentions", 20),
        (Network.INSTAGRAM, "max_image_bytes", 8 * 1024 * 1024),
        (Network.INSTAGRAM, "min_image_ratio", (4, 5)),
        (Network.INSTAGRAM, "max_image_ratio", (1.91, 1)),
        (Network.LINKEDIN, "max_chars", 3_000),
        (Network.FACEBOOK, "max_chars", 63_206),
        (Network.TIKTOK, "max_chars", 2_200),
        (Network.YOUTUBE, "max_chars", 5_000),
        (Network.YOUTUBE, "max_title_chars", 100),
        (Network.SNAPCHAT, "max_media", 1),
        (Network.SNAPCHAT, "max_video_duration_s", 60),
    ],
)
def test_key_figures_from_the_reference(network, field, value):
    assert getattr(DEFAULT_LIMITS[network], field) == value


@pytest.mark.parametrize(
    "network, text_only",
    [
        (Network.FACEBOOK, True),
        (Network.INSTAGRAM, False),
        (Network.THREADS, True),
        (Network.LINKEDIN, True),
        (Network.X, True),
        (Network.TIKTOK, False),
        (Network.YOUTUBE, False),
        (Network.MASTODON, True),
        (Network.BLUESKY, True),
        (Network.SNAPCHAT, False),
    ],
)
def test_which_networks_need_media(network, text_only):
    assert DEFAULT_LIMITS[network].text_only_allowed is text_only


def test_tiktok_refuses_png_and_youtube_takes_no_image():
    assert "image/png" not in DEFAULT_LIMITS[Network.TIKTOK].image_mime_types
    assert DEFAULT_LIMITS[Network.YOUTUBE].max_images == 0


@pytest.mark.parametrize("network", list(Network))
def test_ranges_are_consistent(network):
    limits = DEFAULT_LIMITS[network]
    for low, high in [
        ("min_image_ratio", "max_image_ratio"),
        ("min_video_ratio", "max_video_ratio"),
    ]:
        a, b = getattr(limits, low), getattr(limits, high)
        assert (a is None) == (b is None)
        if a is not None:
            assert ratio_value(a) <= ratio_value(b)
    for low, high in [
        ("min_video_duration_s", "max_video_duration_s"),
        ("min_video_bytes", "max_video_bytes"),
        ("min_image_width", "max_image_width"),
        ("min_video_width", "max_video_width"),
    ]:
        a, b = getattr(limits, low), getattr(limits, high)
        if a is not None and b is not None:
            assert a <= b
    assert limits.max_images <= limits.max_media
    assert limits.max_videos <= limits.max_media
    if limits.max_images:
        assert limits.image_mime_types
    if limits.max_videos:
        assert limits.video_mime_types


def test_limits_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_LIMITS[Network.X].max_chars = 1000  # type: ignore[misc]


def test_get_limits_without_overrides_is_the_default():
    assert get_limits("mastodon") is DEFAULT_LIMITS[Network.MASTODON]
    assert get_limits(Network.X, {}) is DEFAULT_LIMITS[Network.X]


def test_get_limits_applies_the_overrides_of_that_network_only():
    overrides = {"mastodon": {"max_chars": 1000}, "x": {"max_chars": 25_000}}
    limits = get_limits("mastodon", overrides)
    assert isinstance(limits, NetworkLimits)
    assert limits.max_chars == 1000
    assert limits.url_length == 23
    assert DEFAULT_LIMITS[Network.MASTODON].max_chars == 500  # the defaults are untouched
    assert get_limits("bluesky", overrides) is DEFAULT_LIMITS[Network.BLUESKY]


def test_get_limits_coerces_settings_lists():
    limits = get_limits(
        "instagram",
        {"instagram": {"image_mime_types": ["image/jpeg", "image/png"], "min_image_ratio": [1, 1]}},
    )
    assert limits.image_mime_types == frozenset({"image/jpeg", "image/png"})
    assert limits.min_image_ratio == (1, 1)


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"mastodon": {"max_charz": 1000}}, "max_charz"),
        ({"mastodon": {"max_chars": 1000, "colour": "red", "size": 1}}, "colour, size"),
        ({"x": {"nope": 1}}, "nope"),  # a typo for another network is reported too
        ({"mastodonn": {"max_chars": 1000}}, "mastodonn"),
        ({"mastodon": {"network": "x"}}, "network"),
    ],
)
def test_get_limits_rejects_unknown_keys_by_name(overrides, named):
    with pytest.raises(ValueError, match=named):
        get_limits("mastodon", overrides)


def test_get_limits_rejects_unknown_network():
    with pytest.raises(ValueError):
        get_limits("myspace")
