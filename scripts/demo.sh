#!/usr/bin/env bash
# Install the project into .venv, build the demo county network and catalogue on the
# embedded defaults (SQLite under ./var), and serve it on http://127.0.0.1:8000 (SIP2 on port 6001).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
# The self-check machines' SIP2 server listens beside the web pages unless told otherwise.
export ILS_SIP2_PORT="${ILS_SIP2_PORT:-6001}"
exec .venv/bin/ils demo "$@"
