#!/usr/bin/env bash
# Makes sure `kubectl` (with its built-in kustomize) is on this machine, for the manifest tests
# (tests/Flowkit.Deploy.Tests renders every overlay with `kubectl kustomize`). Installs the Debian package `kubectl`
# when it is missing; does nothing otherwise. No cluster is needed or contacted.
set -euo pipefail

if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    exit 0
fi

if ((EUID != 0)); then
    echo "error: kubectl is missing; install the Debian package 'kubectl' (as root: apt-get install kubectl)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
echo "installing the Debian package kubectl (log: $log)"
apt-get -o DPkg::Lock::Timeout=300 update -q >>"$log" 2>&1 || { tail -n 25 "$log" >&2; exit 1; }
apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends kubectl >>"$log" 2>&1 \
    || { tail -n 25 "$log" >&2; exit 1; }
kubectl kustomize --help >/dev/null || { echo "error: kubectl kustomize does not run after installing kubectl" >&2; exit 1; }
