"""mastodon-mock (a third-party stateful fake of the Mastodon REST API) as a real subprocess on loopback."""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from parvis.networks.sandbox.server import free_port
from tests.conftest import wait_until_answering

START_DEADLINE_S = 20.0
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class MockInstance:
    process: subprocess.Popen
    url: str

    def faults(self, *rules: dict) -> None:
        """Add fault rules (mastodon-mock's control plane: forced status, latency, rate limit...)."""
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            for rule in rules:
                client.post("/api/v1/_mock/faults", json=rule).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/api/v1/_mock/faults", timeout=5.0).raise_for_status()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _command() -> list[str] | None:
    exe = Path(sys.executable).with_name("mastodon_mock")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("mastodon_mock")
    return [found] if found else None


def start_mock(deadline_s: float = START_DEADLINE_S) -> MockInstance:
    command = _command()
    if command is None:
        raise FileNotFoundError("mastodon_mock n'est pas installé (pip install mastodon-mock==0.6.1)")
    port = free_port()
    process = subprocess.Popen(
        [*command, "serve", "--in-memory", "--demo", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    instance = MockInstance(process, f"http://127.0.0.1:{port}")
    if wait_until_answering(process, f"{instance.url}/api/v1/instance", name="mastodon_mock",
                            deadline_s=deadline_s, interval=0.1):
        return instance
    instance.stop()
    raise RuntimeError(f"mastodon_mock n'a pas répondu sur {instance.url} en {deadline_s} s")


@pytest.fixture(scope="session")
def mastodon_server():
    try:
        instance = start_mock()
    except (FileNotFoundError, RuntimeError) as exc:
        if IN_CI:
            pytest.fail(f"mastodon_mock indispensable en CI : {exc}")
        pytest.skip(str(exc))
    yield instance
    instance.stop()


@pytest.fixture
def mastodon(mastodon_server, monkeypatch):
    """The session instance, without fault rules; loopback allowed for the connector's host guard."""
    monkeypatch.setenv("PARVIS_ALLOW_LOOPBACK_SERVERS", "1")
    mastodon_server.clear_faults()
    yield mastodon_server
    mastodon_server.clear_faults()
