"""Scale-out mode: tasks go through Redis/RQ and `parvis worker` runs them (a real Redis on loopback)."""

import os
import socket
import subprocess
import sys

import pytest

REDIS = ("127.0.0.1", 6379)


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_env(tmp_path):
    if not _redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("CI : Redis ne répond pas sur 127.0.0.1:6379 (.ci/run doit le démarrer)")
        pytest.skip("Redis absent sur 127.0.0.1:6379")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARVIS_")}
    db = 8 + os.getpid() % 7  # a Redis database of its own, emptied by RQ's own job expiry
    env.update(PARVIS_DATA_DIR=str(tmp_path), PARVIS_TASKS="rq", PARVIS_REDIS_URL=f"redis://127.0.0.1:6379/{db}")
    subprocess.run([sys.executable, "-m", "parvis.cli", "migrate", "-v0"], env=env, check=True, timeout=120)
    return env


def test_a_task_enqueued_in_rq_mode_runs_in_parvis_worker(redis_env):
    worker = subprocess.Popen([sys.executable, "-m", "parvis.cli", "worker", "--processes", "1"], env=redis_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        script = (
            "import time\n"
            "from parvis.publishing.tasks import sweep_deliveries\n"
            "r = sweep_deliveries.enqueue()\n"
            "deadline = time.monotonic() + 30\n"
            "while time.monotonic() < deadline:\n"
            "    r.refresh()\n"
            "    if r.status in ('SUCCESSFUL', 'FAILED'):\n"
            "        break\n"
            "    time.sleep(0.2)\n"
            "print(r.status, r.return_value if r.status == 'SUCCESSFUL' else '')\n"
        )
        out = subprocess.run([sys.executable, "-m", "parvis.cli", "shell", "-c", script], env=redis_env,
                             capture_output=True, text=True, timeout=90)
        assert out.stdout.strip().splitlines()[-1].startswith("SUCCESSFUL"), out.stdout + out.stderr
        assert "'expired': 0" in out.stdout
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
