import pytest

from parvis.domain.networks import Network
from parvis.domain.text import (
    bluesky_bytes,
    count_emojis,
    count_length,
    count_text,
    extract_hashtags,
    extract_mentions,
    extract_urls,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 7 code points, 25 bytes
FLAG_FR = "\U0001f1eb\U0001f1f7"  # 🇫🇷, 2 regional indicators, 8 bytes
THUMB_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽, skin tone modifier, 8 bytes
KEYCAP_1 = "1\ufe0f\u20e3"  # 1️⃣, 7 bytes
E_COMBINING = "e\u0301"  # é decomposed: 2 code points, 1 grapheme, 3 bytes
SMILE = "\U0001f600"  # 😀, 4 bytes, 2 UTF-16 units


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", 0),
        ("Bonjour Arras", 13),
        ("Fête de la musique à Évry", 25),  # accents weigh 1
        (E_COMBINING, 1),  # NFC composes it to é
        ("q\u0303", 2),  # no precomposed form: two code points of weight 1
        (FAMILY, 2),  # a ZWJ sequence is one emoji
        (FLAG_FR, 2),
        (THUMB_MEDIUM, 2),
        (KEYCAP_1, 2),
        (SMILE * 3, 6),
        ("日本語", 6),  # CJK weighs 2
        ("한국", 4),
        ("“guillemets” — tiret", 20),  # U+2010–U+201F weigh 1
        ("Voir https://www.arras.fr/agenda/2026/fete-de-la-musique-programme-complet", 28),
        ("Voir https://arras.fr.", 29),  # the final period is not part of the URL
        ("www.arras.fr", 23),
        ("arras.fr/agenda", 23),
        ("arras.com", 23),
        ("arras.fr", 8),  # twitter-text does not link a bare name.ccTLD without path
        ("contact@arras.fr", 16),  # an e-mail address is not a URL
        ("https://a.fr https://b.fr", 47),
        ("Prix 3.50 €", 12),  # U+20AC is outside the weight-1 ranges
    ],
)
def test_x_weighted_length(text, expected):
    assert count_length(Network.X, text) == expected


def test_x_url_length_is_a_parameter():
    assert count_length("x", "https://arras.fr", url_length=30) == 30


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", 0),
        ("Bonjour", 7),
        (E_COMBINING, 1),
        (FAMILY, 1),
        (FLAG_FR, 1),
        (THUMB_MEDIUM, 1),
        ("https://www.arras.fr/agenda", 27),  # Bluesky counts URLs as written
        ("日本語", 3),
    ],
)
def test_bluesky_counts_graphemes(text, expected):
    assert count_length(Network.BLUESKY, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("", 0), ("é", 2), (E_COMBINING, 3), (FAMILY, 25), (FLAG_FR, 8), ("a" * 300, 300)],
)
def test_bluesky_bytes(text, expected):
    assert bluesky_bytes(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", 0),
        ("Bonjour", 7),
        (E_COMBINING, 1),
        (FAMILY, 1),
        ("https://arras.fr/" + "x" * 100, 23),
        ("http://a.fr", 23),  # short URLs cost 23 too
        ("Voir https://arras.fr.", 29),
        ("www.arras.fr", 12),  # no protocol, no link: counted as written
        ("Merci @alice@mastodon.social !", 14),  # counted as "@alice"
        ("Merci @alice !", 14),
        ("contact@arras.fr", 16),  # an e-mail address keeps its domain
    ],
)
def test_mastodon_length(text, expected):
    assert count_length(Network.MASTODON, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", 0),
        ("Bonjour", 7),
        ("é", 1),
        (E_COMBINING, 1),
        (SMILE, 4),
        (FAMILY, 25),
        (FLAG_FR + " ok", 11),
        (THUMB_MEDIUM, 8),
        ("https://arras.fr", 16),
    ],
)
def test_threads_counts_emoji_as_utf8_bytes(text, expected):
    assert count_length(Network.THREADS, text) == expected


@pytest.mark.parametrize(
    "network, text, expected",
    [
        (Network.YOUTUBE, "", 0),
        (Network.YOUTUBE, "abc", 3),
        (Network.YOUTUBE, "é", 2),
        (Network.YOUTUBE, "€", 3),
        (Network.YOUTUBE, SMILE, 4),
        (Network.TIKTOK, "é", 1),
        (Network.TIKTOK, E_COMBINING, 2),
        (Network.TIKTOK, SMILE, 2),  # a surrogate pair
        (Network.TIKTOK, FAMILY, 11),
        (Network.FACEBOOK, FAMILY, 7),  # code points
        (Network.INSTAGRAM, "é", 1),
        (Network.INSTAGRAM, E_COMBINING, 2),
        (Network.LINKEDIN, "https://arras.fr", 16),
        (Network.SNAPCHAT, SMILE, 1),
    ],
)
def test_other_networks(network, text, expected):
    assert count_length(network, text) == expected


def test_count_text_rejects_unknown_method():
    with pytest.raises(ValueError):
        count_text("abc", "furlongs")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("#FeteDeLaMusique à #Arras", ["FeteDeLaMusique", "Arras"]),
        ("#rentrée #Été2026", ["rentrée", "Été2026"]),
        ("#2026 n'est pas un hashtag", []),
        ("page https://arras.fr/agenda#juin", []),  # a URL fragment is not a hashtag
        ("C#", []),
        ("##double", []),
        ("#a,#b", ["a", "b"]),
    ],
)
def test_extract_hashtags(text, expected):
    assert extract_hashtags(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("Merci @mairie_arras !", ["mairie_arras"]),
        ("Avec @alice@mastodon.social.", ["alice@mastodon.social"]),
        ("Avec @ville.bsky.social.", ["ville.bsky.social"]),
        ("Écrire à contact@arras.fr", []),
        ("https://mastodon.social/@alice", []),
    ],
)
def test_extract_mentions(text, expected):
    assert extract_mentions(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("Voir https://arras.fr/agenda.", ["https://arras.fr/agenda"]),
        (
            "(https://fr.wikipedia.org/wiki/Arras_(Pas-de-Calais))",
            ["https://fr.wikipedia.org/wiki/Arras_(Pas-de-Calais)"],
        ),
        ("www.arras.fr, et arras.fr/x!", ["www.arras.fr", "arras.fr/x"]),
        ("arras.fr seul", []),
        ("arras.com seul", ["arras.com"]),
        ("fichier rapport.pdf", []),
        ("HTTP://ARRAS.FR/A", ["HTTP://ARRAS.FR/A"]),
        ("contact@arras.fr", []),
        (f"https://arras.fr{SMILE}", ["https://arras.fr"]),
    ],
)
def test_extract_urls(text, expected):
    assert extract_urls(text) == expected


def test_extract_urls_protocol_only():
    assert extract_urls("www.arras.fr https://a.fr", bare_domains=False) == ["https://a.fr"]


@pytest.mark.parametrize(
    "text, expected",
    [("", 0), ("Bravo", 0), (SMILE * 2, 2), (FAMILY + FLAG_FR + THUMB_MEDIUM + KEYCAP_1, 4)],
)
def test_count_emojis(text, expected):
    assert count_emojis(text) == expected
