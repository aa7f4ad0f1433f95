#!/usr/bin/env bash
# Builds the web console (web/console) into web/console/dist, which the host copies beside its assembly and serves at /.
# Installs Node.js and npm from Debian when they are missing; dependencies come from the committed package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../../web/console"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "console: installing nodejs and npm (Debian packages)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

# npm ci only when the lock changed since the last install (it wipes node_modules every time).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
echo "console: built web/console/dist"
