#!/usr/bin/env bash
# Ingress benchmark (issue #7): durable, deduplicated, rate-checked webhooks accepted per second at 64 connections
# on loopback, beside a bare Kestrel endpoint (GET /health/live) of the same process in the same run.
#
#   bench/ingress.sh                  DURATION=10s CONNECTIONS=64 THREADS=2 by default
#   RUNS_IN_FLIGHT_QUOTA=0 bench/ingress.sh   without the quota statement (runs pile up as pending here, so the
#                                     default quota is raised far out of reach; the check itself still runs)
#
# It needs the services (make services-up) and wrk (Debian package; installed if missing). It creates a database and
# a RabbitMQ virtual host of its own, starts Flowkit.Host with the api role only (runs are committed with their
# StartRun message and stay pending: this measures acceptance, not execution), creates a webhook workflow, runs wrk
# against both endpoints, checks that every accepted delivery is a committed run, prints the figures and cleans up.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
CONFIGURATION=${CONFIGURATION:-Release}

eval "$(bash "$ROOT/deploy/local/services.sh" env)"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
command -v psql >/dev/null || { echo "psql is needed (postgresql-client)" >&2; exit 1; }

SUFFIX=$(date +%s)
DB=flowkit_bench_$SUFFIX
VHOST=flowkit-bench-$SUFFIX
pg_field() { tr ';' '\n' <<<"$ConnectionStrings__Postgres" | sed -n "s/^$1=//p"; }
PG_ADMIN="postgresql://$(pg_field Username):$(pg_field Password)@$(pg_field Host):$(pg_field Port)/$(pg_field Database)"
PG_BENCH=${PG_ADMIN%/*}/$DB
RMQ_USER=$(sed -E 's#^amqp://([^@]*)@.*#\1#' <<<"$ConnectionStrings__RabbitMq")
MGMT=${Flowkit__RabbitMqManagementUrl%/}
HOST_PID=
WORK=$(mktemp -d)

cleanup() {
    if [[ -n $HOST_PID ]] && kill -0 "$HOST_PID" 2>/dev/null; then kill "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; fi
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    curl -fsS -u "$RMQ_USER" -X DELETE "$MGMT/api/vhosts/$VHOST" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

psql -q "$PG_ADMIN" -c "CREATE DATABASE \"$DB\"" >/dev/null
curl -fsS -u "$RMQ_USER" -X PUT "$MGMT/api/vhosts/$VHOST" >/dev/null
curl -fsS -u "$RMQ_USER" -X PUT -H 'content-type: application/json' -d '{"configure":".*","write":".*","read":".*"}' \
    "$MGMT/api/permissions/$VHOST/${RMQ_USER%%:*}" >/dev/null

echo "building Flowkit.Host ($CONFIGURATION)"
dotnet build "$ROOT/src/Flowkit.Host" -c "$CONFIGURATION" --nologo -v quiet >/dev/null

RABBIT_BENCH="${ConnectionStrings__RabbitMq%/}/$VHOST"
PG_CS="${ConnectionStrings__Postgres/Database=flowkit/Database=$DB}"
(
    cd "$ROOT/src/Flowkit.Host/bin/$CONFIGURATION/net10.0"
    ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="http://127.0.0.1:$PORT" \
    ConnectionStrings__Postgres="$PG_CS" ConnectionStrings__RabbitMq="$RABBIT_BENCH" ConnectionStrings__Redis="$ConnectionStrings__Redis" \
    Flowkit__Roles=api Flowkit__Auth__BootstrapKey=bench-key Flowkit__Ingress__WorkspaceLimit=10000000 \
    Flowkit__Quotas__RunsInFlight="${RUNS_IN_FLIGHT_QUOTA:-100000000}" \
    Logging__LogLevel__Default=Warning \
    exec dotnet Flowkit.Host.dll >"$WORK/host.log" 2>&1
) &
HOST_PID=$!

for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
    kill -0 "$HOST_PID" 2>/dev/null || { cat "$WORK/host.log" >&2; exit 1; }
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null || { echo "host not ready" >&2; tail -50 "$WORK/host.log" >&2; exit 1; }

curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/workflows" -H 'Authorization: Bearer bench-key' -H 'Content-Type: application/yaml' \
    --data-binary @- >/dev/null <<'YAML'
name: bench-ingress
triggers:
  - webhook: { key: bench, dedupe: body.id, limit: 1000000/s }
steps:
  - id: note
    type: transform
    with: { id: "{{ input.body.id }}" }
YAML
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/hooks/default/bench" -H 'Content-Type: application/json' -d '{"id":"probe"}')
[[ $code == 202 ]] || { echo "webhook probe answered $code" >&2; tail -50 "$WORK/host.log" >&2; exit 1; }

run_wrk() { # name, then wrk arguments; prints "<rps> <p50 ms> <p99 ms> <non-2xx> <requests> <seconds>"
    local out=$WORK/$1.txt
    shift
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$out"
    python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
reqs, secs = re.search(r"(\d+) requests in ([\d.]+)(s|m)", text).groups()[:2]
secs = float(secs)
non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
errors = re.search(r"Socket errors:.*", text)
print(f"{(int(reqs) - non2xx) / secs:.0f} {ms('50%'):.2f} {ms('99%'):.2f} {non2xx} {reqs} {secs:.1f}")
if errors: print(errors.group(0), file=sys.stderr)
PY
}

echo "warm-up ($WARMUP each)"
DURATION=$WARMUP run_wrk warm-hooks -s "$ROOT/bench/ingress-unique.lua" "http://127.0.0.1:$PORT/hooks/default/bench" >/dev/null
DURATION=$WARMUP run_wrk warm-live "http://127.0.0.1:$PORT/health/live" >/dev/null
before=$(psql -qtA "$PG_BENCH" -c "SELECT count(*) FROM runs")

echo "measuring ($DURATION each, $CONNECTIONS connections, $THREADS wrk threads, loopback)"
read -r hook_rps hook_p50 hook_p99 hook_non2xx hook_requests _ < <(run_wrk hooks -s "$ROOT/bench/ingress-unique.lua" "http://127.0.0.1:$PORT/hooks/default/bench")
after=$(psql -qtA "$PG_BENCH" -c "SELECT count(*) FROM runs")
read -r live_rps live_p50 live_p99 _ _ _ < <(run_wrk live "http://127.0.0.1:$PORT/health/live")
committed=$((after - before))

printf '\n%-44s %12s %9s %9s\n' "endpoint" "accepted/s" "p50 ms" "p99 ms"
printf '%-44s %12s %9s %9s\n' "POST /hooks (durable, dedup, rate-checked)" "$hook_rps" "$hook_p50" "$hook_p99"
printf '%-44s %12s %9s %9s\n' "GET /health/live (bare Kestrel)" "$live_rps" "$live_p50" "$live_p99"
python3 -c "import sys;print(f'webhooks / bare Kestrel: {float(sys.argv[1])/float(sys.argv[2]):.3f}')" "$hook_rps" "$live_rps"
echo "webhook requests: $hook_requests, non-2xx: $hook_non2xx, runs committed during the run: $committed"
echo "targets (DESIGN.md): first bar 1,000/s, goal 2,000/s, p99 under 100 ms"
# A 202 is sent only after its run committed, so accepted can never exceed committed (in-flight ones may add).
if (( hook_requests - hook_non2xx > committed )); then
    echo "error: fewer runs committed than deliveries accepted" >&2
    exit 1
fi
