#!/usr/bin/env bash
# Install TiPro into .venv and start it on its embedded default (SQLite + embedded Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e . 
exec .venv/bin/tipro demo "$@"
