#!/usr/bin/env bash
# The real browser the web tests drive: Debian's Chromium (Playwright's Python API starts it by
# path; its own browser download cannot work on machines without internet). Installs it when
# missing; needs root or sudo. Run from the repository root; sourced by scripts/test.sh.
if [ -x "${ILS_CHROMIUM:-/usr/bin/chromium}" ]; then
  return 0 2>/dev/null || exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "== installing Debian's chromium for the browser tests =="
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
