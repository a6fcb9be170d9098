#!/usr/bin/env bash
# Install the project with its test dependencies into .venv and run every check:
# the import-direction contracts, then the whole test suite (SQLite and PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
echo "== import-linter: import direction =="
.venv/bin/lint-imports
echo "== pytest =="
exec .venv/bin/python -m pytest "$@"
