#!/usr/bin/env bash
# Install what the test suite needs from Debian when it is missing: Chromium (the tests drive its
# headless shell, /usr/bin/chromium-headless-shell, through Playwright; the screenshots and
# TEST_CHROMIUM=/usr/bin/chromium use the full browser), redis-server, and Node.js with npm (for the interop
# provider). Needs root to install.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The headless shell only makes the browser tests faster: without root, they run on the full browser.
if [ ! -x /usr/bin/chromium-headless-shell ]; then
  if [ "$(id -u)" -eq 0 ]; then
    missing+=(chromium-headless-shell)
  else
    echo "chromium-headless-shell is missing: the browser tests run on the full browser, about a minute slower" >&2
    echo "(sudo apt-get install -y chromium-headless-shell)." >&2
  fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}." >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} from Debian ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
