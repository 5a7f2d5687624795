import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from parvis.networks import errors
from parvis.networks.registry import CONNECTORS, get_connector
from parvis.networks.sandbox.connector import SandboxConnector
from parvis.networks.sandbox.server import free_port
from parvis.networks.types import Credentials, MediaFile, PostRequest

from .conftest import start_sandbox


def connector(sandbox, network="mastodon", handle="@mairie", token="tok", timeout=5.0):
    return SandboxConnector(network, Credentials(handle, {"access_token": token}), base_url=sandbox.url,
                            timeout=timeout)


def marker() -> str:
    return uuid.uuid4().hex


def stored(sandbox, network="", handle=""):
    with sandbox.admin() as client:
        return client.get("/_sandbox/posts", params={"network": network, "handle": handle}).json()["posts"]


# --- publishing and lookup ----------------------------------------------------------------------------------


def test_publish_stores_the_post_and_returns_its_url(sandbox):
    m = marker()
    media = (MediaFile("/tmp/a.png", "image", "image/png", "Le parvis de la mairie"),)
    result = connector(sandbox, "bluesky", "mairie.test").publish(
        PostRequest("Conseil municipal ce soir", m, link="https://ville.test/cm", media=media))
    assert result.url == f"{sandbox.url}/bluesky/mairie.test/posts/{result.remote_id}"
    posts = [p for p in stored(sandbox, "bluesky", "mairie.test") if p["marker"] == m]
    assert len(posts) == 1
    assert posts[0]["text"] == "Conseil municipal ce soir"
    assert posts[0]["link"] == "https://ville.test/cm"
    assert posts[0]["media"] == [{"kind": "image", "mime_type": "image/png", "alt_text": "Le parvis de la mairie"}]


def test_find_by_marker(sandbox):
    c = connector(sandbox, "x")
    m = marker()
    assert c.find_by_marker(m) is None
    result = c.publish(PostRequest("Bonjour", m))
    assert c.find_by_marker(m) == result
    # another network does not see it
    assert connector(sandbox, "threads").find_by_marker(m) is None


def test_same_marker_twice_is_a_duplicate_carrying_the_existing_post(sandbox):
    c = connector(sandbox, "linkedin")
    m = marker()
    first = c.publish(PostRequest("Premier envoi", m))
    with pytest.raises(errors.Duplicate) as info:
        c.publish(PostRequest("Second envoi", m))
    assert (info.value.remote_id, info.value.url) == (first.remote_id, first.url)
    assert [p["text"] for p in stored(sandbox, "linkedin") if p["marker"] == m] == ["Premier envoi"]


def test_concurrent_sends_of_one_marker_create_one_post(sandbox):
    c = connector(sandbox, "facebook")
    m = marker()

    def send(_):
        try:
            return c.publish(PostRequest("Même message", m)).remote_id
        except errors.Duplicate as exc:
            return ("dup", exc.remote_id)

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(send, range(16)))
    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1
    assert {o[1] for o in outcomes if isinstance(o, tuple)} == {winners[0]}
    assert len([p for p in stored(sandbox, "facebook") if p["marker"] == m]) == 1


def test_delete(sandbox):
    c = connector(sandbox, "youtube")
    m = marker()
    result = c.publish(PostRequest("À supprimer", m))
    c.delete(result.remote_id)
    assert c.find_by_marker(m) is None
    c.delete(result.remote_id)  # already gone: no error


# --- errors mapped to the typed errors ----------------------------------------------------------------------


def test_rate_limit_fault(sandbox):
    sandbox.configure(fault_rates={"rate_limit": 1.0}, rate_limit_retry_after_s=42)
    m = marker()
    with pytest.raises(errors.RateLimited) as info:
        connector(sandbox, "x").publish(PostRequest("Bonjour", m))
    assert info.value.retry_after_s == 42
    assert info.value.retry_at is not None
    sandbox.configure(reset=True)
    assert connector(sandbox, "x").find_by_marker(m) is None  # nothing was stored


def test_server_error_fault(sandbox):
    sandbox.configure(fault_rates={"server_error": 1.0})
    m = marker()
    with pytest.raises(errors.Transient):
        connector(sandbox, "tiktok").publish(PostRequest("Bonjour", m))
    with pytest.raises(errors.Transient):  # a lookup that fails is transient too
        connector(sandbox, "tiktok").find_by_marker(m)
    sandbox.configure(reset=True)
    assert connector(sandbox, "tiktok").find_by_marker(m) is None


def test_timeout_after_accept_is_outcome_unknown_and_the_post_exists(sandbox):
    sandbox.configure(fault_rates={"timeout_after_accept": 1.0}, timeout_hold_s=2.0)
    m = marker()
    started = time.monotonic()
    with pytest.raises(errors.OutcomeUnknown):
        connector(sandbox, "instagram", timeout=0.4).publish(PostRequest("Bonjour", m))
    assert time.monotonic() - started < 1.5
    found = connector(sandbox, "instagram").find_by_marker(m)  # the lookup is not held
    assert found is not None
    with pytest.raises(errors.Duplicate) as info:  # a blind re-send would be refused
        connector(sandbox, "instagram").publish(PostRequest("Bonjour", m))
    assert info.value.remote_id == found.remote_id


def test_connection_refused_is_transient():
    c = SandboxConnector("x", Credentials("@mairie", {}), base_url=f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(errors.Transient):
        c.publish(PostRequest("Bonjour", marker()))


@pytest.mark.parametrize(
    ("network", "too_long", "at_limit", "words"),
    [
        ("x", "a" * 281, "a" * 280, "Your Tweet text is too long"),
        ("x", "é" * 200 + "中" * 41, "中" * 140, "Your Tweet text is too long"),  # CJK weighs 2
        ("bluesky", "é" * 301, "é" * 300, "must not be longer than 300 graphemes"),
        # 150 family emojis: 150 graphemes but 2,700 bytes; 170 of them break the 3,000-byte limit first
        ("bluesky", "👨‍👩‍👧" * 170, "👨‍👩‍👧" * 150, "must not be longer than 3000 bytes"),
        ("mastodon", "b" * 501, "b" * 500, "Text character limit of 500 exceeded"),
        ("snapchat", "c" * 161, "c" * 160, "description"),
    ],
)
def test_too_long_text_is_rejected_with_the_network_words(sandbox, network, too_long, at_limit, words):
    c = connector(sandbox, network)
    m = marker()
    with pytest.raises(errors.ContentRejected) as info:
        c.publish(PostRequest(too_long, m))
    assert words in str(info.value)
    assert words in info.value.detail
    assert c.find_by_marker(m) is None
    assert c.publish(PostRequest(at_limit, marker())).remote_id


@pytest.mark.parametrize("token", ["revoked", "revoked-2026-03-01"])
def test_revoked_token_is_auth_expired(sandbox, token):
    with pytest.raises(errors.AuthExpired):
        connector(sandbox, "facebook", token=token).publish(PostRequest("Bonjour", marker()))


def test_daily_limit_per_handle(sandbox):
    sandbox.configure(daily_limits={"instagram": 2})
    handle = f"ville-{marker()[:8]}"
    c = connector(sandbox, "instagram", handle)
    c.publish(PostRequest("1", marker()))
    c.publish(PostRequest("2", marker()))
    with pytest.raises(errors.RateLimited) as info:
        c.publish(PostRequest("3", marker()))
    assert 86_000 < info.value.retry_after_s <= 86_400  # until the oldest post leaves the 24 h window
    assert "2207042" in str(info.value)
    connector(sandbox, "instagram", handle + "-autre").publish(PostRequest("3", marker()))  # other account: fine


def test_seeded_faults_are_reproducible(sandbox):
    def run():
        sandbox.configure(seed=7, fault_rates={"rate_limit": 0.3, "server_error": 0.3})
        outcomes = []
        for _ in range(30):
            try:
                connector(sandbox, "threads").publish(PostRequest("Bonjour", marker()))
                outcomes.append("ok")
            except errors.NetworkError as exc:
                outcomes.append(exc.code)
        return outcomes

    first = run()
    assert run() == first
    assert {"ok", "rate_limited", "transient"} == set(first)


def test_bad_config_is_refused_in_french(sandbox):
    with sandbox.admin() as client:
        response = client.post("/_sandbox/config", json={"fault_rates": {"rate_limit": 1.5}})
    assert response.status_code == 400
    assert "entre 0 et 1" in response.json()["error"]["message"]


# --- the page, the stats, restarts --------------------------------------------------------------------------


def test_post_page_escapes_the_text(sandbox):
    result = connector(sandbox, "threads", "@ville").publish(
        PostRequest('<script>alert("x")</script> & <b>gras</b>', marker(), link='javascript:alert(1)'))
    page = httpx.get(result.url, timeout=5)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text and "<b>" not in page.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;gras&lt;/b&gt;" in page.text
    assert "javascript:" not in page.text
    assert "Simulation Parvis — ce message n&#x27;a pas été publié sur le vrai réseau" in page.text
    assert httpx.get(result.url.replace("@ville", "@autre"), timeout=5).status_code == 404


def test_stats_count_posts_per_network(sandbox):
    with sandbox.admin() as client:
        before = client.get("/_sandbox/stats").json()
        connector(sandbox, "snapchat").publish(PostRequest("Bonjour", marker()))
        after = client.get("/_sandbox/stats").json()
    assert after["posts"]["snapchat"] == before["posts"]["snapchat"] + 1
    assert after["total"] == before["total"] + 1


def test_restart_keeps_posts(tmp_path):
    state = str(tmp_path / "restart.sqlite3")
    server = start_sandbox(state)
    m = marker()
    try:
        first = connector(server, "mastodon").publish(PostRequest("Avant redémarrage", m))
    finally:
        server.stop()
    server = start_sandbox(state)
    try:
        again = connector(server, "mastodon").find_by_marker(m)
        assert again is not None and again.remote_id == first.remote_id
        with pytest.raises(errors.Duplicate):
            connector(server, "mastodon").publish(PostRequest("Après redémarrage", m))
        assert connector(server, "mastodon").publish(PostRequest("Nouveau", marker())).remote_id != first.remote_id
    finally:
        server.stop()


def test_requests_are_served_concurrently(sandbox):
    sandbox.configure(latency_ms=200)
    c = connector(sandbox, "x")
    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda i: c.publish(PostRequest(f"n°{i}", marker())), range(32)))
    elapsed = time.monotonic() - started
    assert len({r.remote_id for r in results}) == 32
    assert elapsed < 1.5, f"32 requests of 200 ms took {elapsed:.2f} s: not served concurrently"


# --- registry -----------------------------------------------------------------------------------------------


def test_registry_gives_the_sandbox_for_any_network(monkeypatch):
    monkeypatch.setenv("PARVIS_SANDBOX_URL", "http://127.0.0.1:9999/")
    c = get_connector("bluesky", Credentials("ville.test"), sandbox=True, timeout=3.0)
    assert isinstance(c, SandboxConnector)
    assert (c.network, c.base_url, c.timeout) == ("bluesky", "http://127.0.0.1:9999", 3.0)
    assert CONNECTORS["sandbox"] is SandboxConnector


def test_registry_refuses_real_networks_without_connector_and_unknown_networks():
    with pytest.raises(NotImplementedError, match="pas encore disponible"):
        get_connector("tiktok", Credentials("ville"), sandbox=False)
    with pytest.raises(ValueError, match="Réseau inconnu"):
        get_connector("myspace", Credentials("ville"), sandbox=True)


def test_length_check_falls_back_when_the_domain_rules_are_missing(monkeypatch):
    import sys

    from parvis.networks.sandbox import server

    monkeypatch.setitem(sys.modules, "parvis.domain.text", None)  # import now raises ImportError
    assert server.text_limits("x", "中" * 10) == (10, 280, None)
    assert server.text_limits("bluesky", "a") == (1, 300, 3000)
