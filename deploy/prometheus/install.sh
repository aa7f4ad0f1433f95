#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` are on this machine (Debian package `prometheus`), for the rule checks and
# the real-Prometheus integration test. Does nothing when both are there. It installs the package only; nothing
# is started (the tests start their own Prometheus on loopback with a data folder of their own).
set -euo pipefail

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
    exit 0
fi

if ((EUID != 0)); then
    echo "error: prometheus/promtool are missing; install the Debian package 'prometheus' (as root: apt-get install prometheus)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
echo "installing the Debian package prometheus (log: $log)"
apt-get -o DPkg::Lock::Timeout=300 update -q >>"$log" 2>&1 || { tail -n 25 "$log" >&2; exit 1; }
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold prometheus >>"$log" 2>&1 \
    || { tail -n 25 "$log" >&2; exit 1; }
command -v promtool >/dev/null || { echo "error: promtool not found after installing prometheus" >&2; exit 1; }
