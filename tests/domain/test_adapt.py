import pytest

from parvis.domain.adapt import LINK_IN_BIO, derive_variant_text
from parvis.domain.networks import Network

LINK = "https://arras.fr/conseil"
BODY = "Conseil municipal ce soir à 19 h."


@pytest.mark.parametrize(
    "network",
    [
        Network.FACEBOOK,
        Network.THREADS,
        Network.LINKEDIN,
        Network.X,
        Network.YOUTUBE,
        Network.MASTODON,
        Network.BLUESKY,
    ],
)
def test_link_is_appended_on_its_own_line(network):
    assert derive_variant_text(network, BODY, LINK) == f"{BODY}\n\n{LINK}"


@pytest.mark.parametrize("network", [Network.INSTAGRAM, Network.TIKTOK, Network.SNAPCHAT])
def test_no_clickable_link_networks_point_to_the_bio(network):
    text = derive_variant_text(network, BODY, LINK)
    assert text == f"{BODY}\n\n{LINK_IN_BIO}"
    assert LINK not in text


@pytest.mark.parametrize(
    "body",
    [
        f"Ordre du jour : {LINK}",
        "Ordre du jour : https://arras.fr/conseil/",
        "Ordre du jour : http://www.arras.fr/conseil.",
        "Ordre du jour : arras.fr/conseil",
    ],
)
def test_link_already_in_body_is_not_repeated(body):
    assert derive_variant_text("x", body, LINK) == body.strip()


def test_another_link_in_body_does_not_count():
    body = "Voir https://arras.fr/agenda"
    assert derive_variant_text("mastodon", body, LINK) == f"{body}\n\n{LINK}"


def test_link_in_bio_is_not_repeated():
    body = "Programme complet : lien dans la bio !"
    assert derive_variant_text("instagram", body, LINK) == body


@pytest.mark.parametrize("network", list(Network))
def test_without_link_the_body_is_kept(network):
    assert derive_variant_text(network, f"  {BODY}\n", "") == BODY


def test_empty_body_gets_the_link_alone():
    assert derive_variant_text("bluesky", "", LINK) == LINK
    assert derive_variant_text("tiktok", "", LINK) == LINK_IN_BIO


@pytest.mark.parametrize("network", list(Network))
def test_never_truncates(network):
    body = "Très long texte. " * 1000
    text = derive_variant_text(network, body, LINK)
    assert text.startswith(body.strip())
    assert len(text) > len(body.strip())
