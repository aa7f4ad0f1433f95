#!/usr/bin/env bash
# The console's end-to-end tests drive Debian's headless Chromium (never a browser downloaded by a test tool).
set -euo pipefail
if command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "browser: installing chromium (Debian package) for the console tests"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
