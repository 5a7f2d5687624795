import json
import logging
import random
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from parvis.networks import http

NOW = datetime(2026, 3, 29, 10, 0, 0, tzinfo=UTC)


def response(headers: dict, status: int = 429) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://example.test/"))


# --- retry_after_seconds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": " 0 "}, 0.0),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "Sun, 29 Mar 2026 10:01:30 GMT"}, 90.0),
        ({"Retry-After": "Sun, 29 Mar 2026 09:00:00 GMT"}, 0.0),  # already past: no negative wait
        ({"Retry-After": "soon"}, None),
        ({"x-rate-limit-reset": str(int(NOW.timestamp()) + 900)}, 900.0),
        ({"ratelimit-reset": str(int(NOW.timestamp()) + 30)}, 30.0),
        ({"X-RateLimit-Reset": "2026-03-29T10:05:00.000Z"}, 300.0),  # Mastodon sends ISO 8601
        ({"x-business-use-case-usage": json.dumps({"1234": [
            {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7},
            {"type": "instagram", "call_count": 20, "estimated_time_to_regain_access": 0},
        ]})}, 420.0),
        ({"x-app-usage": json.dumps({"call_count": 100, "estimated_time_to_regain_access": 2})}, 120.0),
        ({"x-app-usage": json.dumps({"call_count": 100, "total_time": 30})}, None),
        ({"x-app-usage": "not json"}, None),
        # Retry-After wins over the other headers
        ({"Retry-After": "10", "x-rate-limit-reset": str(int(NOW.timestamp()) + 900)}, 10.0),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers, expected):
    assert http.retry_after_seconds(response(headers), NOW) == expected


# --- redaction ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "leaked"),
    [
        ("https://graph.facebook.com/v23.0/me?access_token=SECRET1&fields=id", "SECRET1"),
        ("https://x.test/oauth?refresh_token=SECRET2", "SECRET2"),
        ("https://x.test/login?Password=SECRET3", "SECRET3"),
        ("https://user:SECRET4@x.test/path", "SECRET4"),
    ],
)
def test_redact_url_hides_secrets(url, leaked):
    out = http.redact_url(url)
    assert leaked not in out
    assert http.REDACTED in out


def test_redact_url_keeps_harmless_params():
    assert http.redact_url("https://x.test/me?fields=id,name&access_token=abc") == (
        "https://x.test/me?fields=id%2Cname&access_token=***"
    )


def test_redact_headers_and_bodies():
    headers = http.redact_headers({"Authorization": "Bearer SECRET", "Accept": "application/json"})
    assert headers == {"Authorization": "***", "Accept": "application/json"}
    form = http.redact_body(b"grant_type=refresh_token&refresh_token=SECRET&client_id=1",
                            "application/x-www-form-urlencoded")
    assert "SECRET" not in form and "client_id=1" in form
    body = http.redact_body('{"identifier": "mairie", "password": "SECRET"}', "application/json")
    assert "SECRET" not in body and "mairie" in body
    assert http.redact_body(b"\xff\xfe\x00", "image/png") == "<3 bytes>"


def test_client_logs_are_redacted(caplog):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with http.make_client(transport=transport) as client, caplog.at_level(logging.DEBUG, "parvis.http"):
        client.get("https://graph.test/me", params={"access_token": "TOPSECRET", "fields": "id"},
                   headers={"Authorization": "Bearer TOPSECRET"})
    assert caplog.records, "the client logs its calls"
    assert "TOPSECRET" not in caplog.text
    assert "graph.test/me" in caplog.text


def test_client_timeouts():
    with http.make_client(timeout=12.0) as client:
        assert client.timeout.connect == 5.0
        assert client.timeout.read == 12.0


# --- SSRF guard ---------------------------------------------------------------------------------------------


def resolver(mapping):
    def resolve(host, port):
        if host not in mapping:
            raise OSError("no such host")
        return mapping[host]

    return resolve


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://mastodon.example/", ["93.184.216.34"]),
        ("https://pds.example:8443/xrpc", ["2606:2800:220:1:248:1893:25c8:1946"]),
        ("https://93.184.216.34/", []),
    ],
)
def test_guard_accepts_public_hosts(url, addresses):
    result = http.guard_public_host(url, resolve=resolver({"mastodon.example": addresses, "pds.example": addresses}))
    assert result


@pytest.mark.parametrize(
    ("url", "addresses", "words"),
    [
        ("http://mastodon.example/", ["93.184.216.34"], "https://"),
        ("ftp://mastodon.example/", ["93.184.216.34"], "https://"),
        ("https://internal.example/", ["10.0.0.5"], "interne"),
        ("https://internal.example/", ["192.168.1.1"], "interne"),
        ("https://internal.example/", ["172.16.0.1"], "interne"),
        ("https://internal.example/", ["127.0.0.1"], "interne"),
        ("https://internal.example/", ["169.254.169.254"], "interne"),  # cloud metadata
        ("https://internal.example/", ["100.64.0.1"], "interne"),  # carrier-grade NAT
        ("https://internal.example/", ["0.0.0.0"], "interne"),
        ("https://internal.example/", ["224.0.0.1"], "interne"),
        ("https://internal.example/", ["240.0.0.1"], "interne"),
        ("https://internal.example/", ["::1"], "interne"),
        ("https://internal.example/", ["fe80::1%eth0"], "interne"),
        ("https://internal.example/", ["fd00::1"], "interne"),
        ("https://internal.example/", ["::ffff:127.0.0.1"], "interne"),
        # one bad address among good ones is enough to refuse (DNS answers round-robin)
        ("https://internal.example/", ["93.184.216.34", "10.1.2.3"], "interne"),
        ("https://127.0.0.1/", [], "interne"),
        ("https://[::1]/", [], "interne"),
        ("https://nowhere.example/", None, "introuvable"),
        ("https://", [], "nom de serveur"),
        ("https://user:pw@mastodon.example/", ["93.184.216.34"], "mot de passe"),
        ("https://mastodon.example:99999/", ["93.184.216.34"], "port"),
    ],
)
def test_guard_refuses_unsafe_hosts(url, addresses, words):
    mapping = {} if addresses is None else {"internal.example": addresses, "mastodon.example": addresses}
    with pytest.raises(http.UnsafeHost) as info:
        http.guard_public_host(url, resolve=resolver(mapping))
    assert words in str(info.value)


def test_guard_allow_loopback_admits_loopback_only():
    local = resolver({"localhost": ["127.0.0.1", "::1"], "lan.example": ["192.168.0.10"]})
    assert http.guard_public_host("http://localhost:3000/", allow_loopback=True, resolve=local)
    assert http.guard_public_host("http://127.0.0.1:2583", allow_loopback=True, resolve=local)
    with pytest.raises(http.UnsafeHost):
        http.guard_public_host("http://lan.example/", allow_loopback=True, resolve=local)
    with pytest.raises(http.UnsafeHost):
        http.guard_public_host("http://localhost:3000/", resolve=local)


# --- per-network slots --------------------------------------------------------------------------------------


def test_network_slot_caps_concurrency():
    http.configure_slots({"test-net": 3})
    active, peak, lock = 0, 0, threading.Lock()

    def call():
        nonlocal active, peak
        with http.network_slot("test-net"):
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.02)
            with lock:
                active -= 1

    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 3


def test_network_slot_timeout_and_release_on_error():
    http.configure_slots({"tiny-net": 1})
    with pytest.raises(ValueError), http.network_slot("tiny-net"):
        raise ValueError("boom")
    with http.network_slot("tiny-net"), pytest.raises(http.SlotTimeout):  # released after the error above
        with http.network_slot("tiny-net", timeout=0.01):
            pass


# --- retries ------------------------------------------------------------------------------------------------


def flaky(statuses):
    calls = []

    def handler(request):
        calls.append(request)
        status = statuses[min(len(calls) - 1, len(statuses) - 1)]
        if status == "connect":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status, json={})

    return calls, handler


def test_get_is_retried_with_jitter():
    calls, handler = flaky([503, "connect", 200])
    delays = []
    with http.make_client(transport=httpx.MockTransport(handler)) as client:
        resp = http.request_with_retry(client, "GET", "https://n.test/x", attempts=3, sleep=delays.append,
                                       rng=random.Random(1))
    assert resp.status_code == 200
    assert len(calls) == 3
    assert len(delays) == 2 and all(0 <= d <= 4.0 for d in delays)


def test_post_without_key_is_sent_once():
    calls, handler = flaky([503, 200])
    with http.make_client(transport=httpx.MockTransport(handler)) as client:
        resp = http.request_with_retry(client, "POST", "https://n.test/x", attempts=5, sleep=lambda s: None)
    assert resp.status_code == 503
    assert len(calls) == 1


def test_post_with_idempotency_key_is_retried_with_the_key():
    calls, handler = flaky([502, 201])
    with http.make_client(transport=httpx.MockTransport(handler)) as client:
        resp = http.request_with_retry(client, "POST", "https://n.test/x", idempotency_key="k-1",
                                       sleep=lambda s: None)
    assert resp.status_code == 201
    assert [c.headers["Idempotency-Key"] for c in calls] == ["k-1", "k-1"]


def test_retry_gives_up_and_raises_the_transport_error():
    calls, handler = flaky(["connect"])
    with http.make_client(transport=httpx.MockTransport(handler)) as client, pytest.raises(httpx.ConnectError):
        http.request_with_retry(client, "GET", "https://n.test/x", attempts=3, sleep=lambda s: None)
    assert len(calls) == 3


def test_client_errors_are_not_retried():
    calls, handler = flaky([404, 200])
    with http.make_client(transport=httpx.MockTransport(handler)) as client:
        resp = http.request_with_retry(client, "GET", "https://n.test/x", sleep=lambda s: None)
    assert resp.status_code == 404 and len(calls) == 1


# --- shared clients -----------------------------------------------------------------------------------------


def test_shared_clients_spread_threads_over_shards_and_keep_each_thread_on_one():
    clients = http.SharedClients(shards=4, max_connections_per_shard=2)
    seen: dict[int, list] = {}
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()  # 8 live threads at once: no thread identity is reused
        seen[i] = [id(clients.get()) for _ in range(3)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(set(ids)) == 1 for ids in seen.values())  # a thread keeps its client
    per_client: dict[int, int] = {}
    for ids in seen.values():
        per_client[ids[0]] = per_client.get(ids[0], 0) + 1
    assert sorted(per_client.values()) == [2, 2, 2, 2]  # evenly spread
    first = clients.get()
    clients.close()
    assert first.is_closed
    assert clients.get() is not first and not clients.get().is_closed
    clients.close()


def test_shared_clients_are_rebuilt_after_a_fork(monkeypatch):
    clients = http.SharedClients(shards=2)
    parent = clients.get()
    monkeypatch.setattr(http.os, "getpid", lambda: -1)  # as seen from a forked child
    assert clients.get() is not parent
    clients.close()
    parent.close()
