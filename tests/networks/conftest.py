"""The sandbox server, started as a real subprocess on a free loopback port."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from parvis.networks.sandbox.server import free_port
from tests.conftest import wait_until_answering

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Sandbox:
    process: subprocess.Popen
    url: str
    state_file: str

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=5.0)

    def configure(self, **changes) -> dict:
        with self.admin() as client:
            response = client.post("/_sandbox/config", json=changes)
            response.raise_for_status()
            return response.json()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_sandbox(state_file: str, *extra: str, deadline_s: float = 10.0) -> Sandbox:
    """Start the server and wait for /healthz; fail with its output if it does not come up in time."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "parvis.networks.sandbox", "--port", str(port), "--state-file", state_file, *extra],
        cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    sandbox = Sandbox(process, f"http://127.0.0.1:{port}", state_file)
    if wait_until_answering(process, f"{sandbox.url}/healthz", name="la sandbox", deadline_s=deadline_s):
        return sandbox
    sandbox.stop()
    raise RuntimeError(f"la sandbox n'a pas répondu sur {sandbox.url} en {deadline_s} s")


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    server = start_sandbox(str(tmp_path_factory.mktemp("sandbox") / "state.sqlite3"))
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The session server, with its configuration reset before and after each test."""
    sandbox_server.configure(reset=True)
    yield sandbox_server
    sandbox_server.configure(reset=True)
