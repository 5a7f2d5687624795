#!/usr/bin/env bash
# The whole suite on SQLite; in CI (CI=true) a second time on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
export PARVIS_DATA_DIR=${PARVIS_DATA_DIR:-$(mktemp -d)}
echo "== Tests sur SQLite"
"$BIN/python" -m pytest "$@"
if [ "${CI:-}" = "true" ] || [ -n "${PARVIS_TEST_POSTGRES:-}" ]; then
  echo "== Tests sur PostgreSQL"
  PARVIS_DATABASE_URL=${PARVIS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/parvis} \
    "$BIN/python" -m pytest -m "not browser" "$@"
fi
