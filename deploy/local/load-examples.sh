#!/usr/bin/env bash
# Waits for the local API, then creates (or updates) every workflow in examples/. Used by `make run`.
set -euo pipefail
cd "$(dirname "$0")/../.."
api="${FLOWKIT_API:-http://127.0.0.1:8080}"
key="${Flowkit__Auth__BootstrapKey:-dev-admin-key}"

for _ in $(seq 1 240); do
  curl -fsS "$api/health/live" >/dev/null 2>&1 && break
  sleep 0.5
done

for file in examples/*.yaml; do
  name=$(sed -n 's/^name: *//p' "$file" | head -n 1)
  code=$(curl -sS -o /tmp/flowkit-example.out -w '%{http_code}' -X POST "$api/api/v1/workflows" \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/yaml' --data-binary "@$file")
  if [ "$code" = "409" ]; then
    code=$(curl -sS -o /tmp/flowkit-example.out -w '%{http_code}' -X PUT "$api/api/v1/workflows/$name" \
      -H "Authorization: Bearer $key" -H 'Content-Type: application/yaml' --data-binary "@$file")
  fi
  case "$code" in
    200|201) echo "example loaded: $name ($file)" ;;
    *) echo "example NOT loaded: $file answered $code: $(cat /tmp/flowkit-example.out)" >&2 ;;
  esac
done
