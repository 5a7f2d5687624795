"""Production settings pass Django's deployment checks; the data folder gets its secrets on first run."""

import os
import secrets
import subprocess
import sys


def _parvis(args, tmp_path, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("PARVIS_")}
    full.update(PARVIS_DATA_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-m", "parvis.cli", *args], env=full, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_in_production(tmp_path):
    out = _parvis(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, PARVIS_PRODUCTION="true",
                  PARVIS_SECRET_KEY=secrets.token_urlsafe(60), PARVIS_ALLOWED_HOSTS="parvis.ma-commune.fr")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_check_deploy_warns_without_production_settings(tmp_path):
    out = _parvis(["check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert out.returncode != 0
    assert "SESSION_COOKIE_SECURE" in out.stderr + out.stdout


def test_first_run_generates_private_keys_in_the_data_folder(tmp_path):
    out = _parvis(["check"], tmp_path)
    assert out.returncode == 0, out.stderr
    key = tmp_path / "secret_key"
    assert key.exists() and len(key.read_text().strip()) >= 50
    assert oct(key.stat().st_mode)[-3:] == "600"
