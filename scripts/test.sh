#!/usr/bin/env bash
# Install everything the tests need (Python deps, Debian Chromium) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
if [ ! -x /usr/bin/chromium ]; then
  # Browser tests use Debian's Chromium (Playwright cannot download its own browsers here).
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# One pytest worker per core (pytest-xdist), a test file per worker at a time: every worker has
# its own PostgreSQL schema, RQ queue prefix and servers (tests/conftest.py), and a module's
# servers (race_server, live_server) start once in the worker that runs it.
.venv/bin/python -m pytest -n "${TIPRO_TEST_WORKERS:-auto}" --dist loadfile "$@"
