#!/usr/bin/env bash
# Install the project into .venv, build the demo county network and catalogue on the
# embedded defaults (SQLite under ./var), and serve it on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
exec .venv/bin/ils demo "$@"
