#!/usr/bin/env bash
# Install the project into .venv, build the demo county network and catalogue on the
# embedded defaults (SQLite under ./var), and serve it on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/ils demo "$@"
