#!/usr/bin/env bash
# Install the project with its test dependencies into .venv and run every check:
# the import-direction contracts, then the whole test suite (SQLite and PostgreSQL), with the
# browser tests in Debian's Chromium (installed by scripts/browsers.sh when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh test
source scripts/browsers.sh
echo "== import-linter: import direction =="
.venv/bin/lint-imports
echo "== pytest =="
exec .venv/bin/python -m pytest "$@"
