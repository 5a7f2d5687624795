"""`parvis worker` starts one dispatcher process per core, restarts one that dies, stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time


def _children(pid: int) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


def _wait(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_supervisor_restarts_a_killed_dispatcher_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARVIS_")}
    env["PARVIS_DATA_DIR"] = str(tmp_path)
    subprocess.run([sys.executable, "-m", "parvis.cli", "migrate", "-v0"], env=env, check=True, timeout=120)
    parent = subprocess.Popen([sys.executable, "-m", "parvis.cli", "worker", "--processes", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = _wait(lambda: _children(parent.pid) if len(_children(parent.pid)) == 2 else None)
        assert first and len(first) == 2
        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        def replaced_set():
            c = _children(parent.pid)
            return c if len(c) == 2 and victim not in c else None

        replaced = _wait(replaced_set)
        assert replaced and victim not in replaced
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=60) is not None
        assert _children(parent.pid) == set()
    finally:
        if parent.poll() is None:
            parent.kill()
