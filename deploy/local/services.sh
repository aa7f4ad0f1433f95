#!/usr/bin/env bash
# Private PostgreSQL, RabbitMQ and Redis for Flowkit on 127.0.0.1, each with its data and logs
# under <repo>/.local/services/<name>/ and on ports that do not collide with system services.
#
#   deploy/local/services.sh up       install missing Debian packages, start what is not running,
#                                     write .local/services/services.env, print a summary
#   deploy/local/services.sh down     stop the instances this checkout started (data is kept)
#   deploy/local/services.sh status   say what is running (exit 0 only if all three answer)
#   deploy/local/services.sh env      print services.env as shell `export` lines, for eval
#   deploy/local/services.sh reset    down, then delete .local/services
#
# See deploy/local/README.md. Runs as root (it installs packages and runs each server as the
# system user its Debian package created: postgres, rabbitmq).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(dirname "$SELF")
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)
SERVICES_DIR=$REPO_ROOT/.local/services
ENV_FILE=$SERVICES_DIR/services.env

readonly PG_PORT=54329
readonly RMQ_PORT=56729 RMQ_MGMT_PORT=15679 RMQ_PROM_PORT=15699
readonly RMQ_DIST_PORT=25679 RMQ_EPMD_PORT=43699 RMQ_CTL_DIST_PORT_MIN=35679
readonly RMQ_NODENAME=flowkit@localhost
readonly REDIS_PORT=63799
readonly APP_USER=flowkit APP_PASS=flowkit APP_DB=flowkit

readonly PG_CS_OURS="Host=127.0.0.1;Port=$PG_PORT;Username=$APP_USER;Password=$APP_PASS;Database=$APP_DB"
readonly RMQ_CS_OURS="amqp://$APP_USER:$APP_PASS@127.0.0.1:$RMQ_PORT/"
readonly RMQ_MGMT_OURS="http://127.0.0.1:$RMQ_MGMT_PORT/"
readonly REDIS_CS_OURS="127.0.0.1:$REDIS_PORT"

PG_DIR=$SERVICES_DIR/postgres
PG_DATA=$PG_DIR/data
PG_SOCK=$PG_DIR/run
PG_LOG=$PG_DIR/postgres.log
RMQ_DIR=$SERVICES_DIR/rabbitmq
RMQ_PID=$RMQ_DIR/rabbitmq.pid
RMQ_LIB=/usr/lib/rabbitmq/bin
REDIS_DIR=$SERVICES_DIR/redis
REDIS_PID=$REDIS_DIR/redis.pid

# ---------------------------------------------------------------------------------------------
# small helpers

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Print the last lines of a log to stderr (used when a start fails).
show_log() {
    local f
    for f; do
        [[ -f $f ]] || continue
        printf -- '--- last lines of %s ---\n' "$f" >&2
        tail -n 25 "$f" >&2 || true
    done
}

# wait_until SECONDS DESCRIPTION COMMAND...: retry COMMAND every 0.2 s until it succeeds.
wait_until() {
    local limit=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { warn "timed out after ${limit}s waiting for $what"; return 1; }
        sleep 0.2
    done
}

port_open() { # host port
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

pid_alive() { [[ -n ${1:-} && -d /proc/$1 ]]; }
read_pid() { # prints the first line's digits, or nothing
    [[ -s $1 ]] || return 0
    head -n 1 "$1" | tr -dc '0-9'
}

# Run a command as another OS user, from a directory it can read, without the lock fd.
as_user() { # user dir command...
    local user=$1 dir=$2
    shift 2
    (cd "$dir" && runuser -u "$user" -- "$@" 9>&-)
}

# Every ancestor of DIR must be searchable by USER, or the server cannot reach its data.
# Checked from / downwards, so only the folder that actually blocks is changed.
ensure_traversable() { # dir user
    local dir=$1 user=$2 d path=""
    local -a parts
    IFS=/ read -r -a parts <<<"${dir#/}"
    for d in "${parts[@]:0:${#parts[@]}-1}"; do
        path=$path/$d
        if ! runuser -u "$user" -- test -x "$path" 2>/dev/null; then
            chmod o+x "$path"
            say "  (made $path searchable by others so '$user' can reach its data)"
        fi
    done
}

require_root() {
    ((EUID == 0)) || die "run this as root: it installs packages and runs the servers as the postgres and rabbitmq users"
}

# Serialise concurrent invocations (two test runs calling `up` at once).
take_lock() {
    mkdir -p "$SERVICES_DIR"
    exec 9>"$SERVICES_DIR/.lock"
    flock -w 300 9 || die "another services.sh is still running (lock $SERVICES_DIR/.lock)"
}

# ---------------------------------------------------------------------------------------------
# packages

pg_bin_dir() {
    local d
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        echo /usr/lib/postgresql/15/bin
        return 0
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [[ -x $d/initdb ]] && { echo "$d"; return 0; }
    done
    return 1
}

ensure_packages() {
    local missing=()
    pg_bin_dir >/dev/null || missing+=(postgresql-15)
    [[ -x $RMQ_LIB/rabbitmq-server ]] || missing+=(rabbitmq-server)
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-cli >/dev/null || missing+=(redis-tools)
    command -v curl >/dev/null || missing+=(curl)
    ((${#missing[@]} > 0)) || return 0

    local log=$SERVICES_DIR/apt.log
    say "installing missing packages: ${missing[*]} (log: $log)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >>"$log" 2>&1 9>&- || { show_log "$log"; die "apt-get update failed"; }
    if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && ! apt-cache show postgresql-15 >/dev/null 2>&1; then
        missing=("${missing[@]/#postgresql-15/postgresql}")
    fi
    apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" >>"$log" 2>&1 9>&- || { show_log "$log"; die "apt-get install ${missing[*]} failed"; }
    pg_bin_dir >/dev/null || die "PostgreSQL server binaries not found after install"
}

# ---------------------------------------------------------------------------------------------
# probes: does a service answer, with these credentials?

# Value of the first matching key in a Npgsql-style "Key=Value;..." string (keys compared
# case-insensitively, spaces ignored).
cs_get() { # string name...
    local cs=$1 part key value name
    shift
    local -a parts
    IFS=';' read -r -a parts <<<"$cs"
    for part in "${parts[@]}"; do
        [[ $part == *=* ]] || continue
        key=${part%%=*}
        key=${key//[[:space:]]/}
        key=${key,,}
        value=${part#*=}
        value=${value#"${value%%[![:space:]]*}"}
        value=${value%"${value##*[![:space:]]}"}
        for name; do
            if [[ $key == "$name" ]]; then
                printf '%s' "$value"
                return 0
            fi
        done
    done
    return 0
}

pg_answers() { # npgsql connection string
    local cs=$1 host port user pass db ssl out
    host=$(cs_get "$cs" host server)
    host=${host%%,*}
    port=$(cs_get "$cs" port)
    user=$(cs_get "$cs" username user userid)
    pass=$(cs_get "$cs" password pwd psw)
    db=$(cs_get "$cs" database db)
    ssl=$(cs_get "$cs" sslmode)
    case ${ssl,,} in
        verifyca) ssl=verify-ca ;;
        verifyfull) ssl=verify-full ;;
        "") ssl=prefer ;;
        *) ssl=${ssl,,} ;;
    esac
    if [[ $host == *:* && $host != *:*:* ]]; then # host:port form
        port=${port:-${host##*:}}
        host=${host%:*}
    fi
    out=$(PGHOST=${host:-localhost} PGPORT=${port:-5432} PGUSER=$user PGPASSWORD=$pass \
        PGDATABASE=${db:-$user} PGSSLMODE=$ssl PGCONNECT_TIMEOUT=5 \
        timeout 15 "$PG_BIN/psql" -X -w -q -A -t -c 'select 1' 2>/dev/null) || return 1
    [[ $out == 1 ]]
}

redis_answers() { # StackExchange.Redis configuration string
    local cs=$1 part endpoint="" host port user="" pass="" tls=() out
    local -a parts args
    IFS=',' read -r -a parts <<<"$cs"
    for part in "${parts[@]}"; do
        part=${part// /}
        case ${part,,} in
            password=*) pass=${part#*=} ;;
            user=*) user=${part#*=} ;;
            ssl=true) tls=(--tls) ;;
            *=*) ;;
            ?*) [[ -n $endpoint ]] || endpoint=$part ;;
        esac
    done
    [[ -n $endpoint ]] || return 1
    host=${endpoint%:*}
    port=${endpoint##*:}
    [[ $endpoint == *:* ]] || port=6379
    args=(-h "$host" -p "$port" "${tls[@]}")
    [[ -n $user ]] && args+=(--user "$user")
    [[ -n $pass ]] && args+=(--no-auth-warning -a "$pass")
    out=$(timeout 5 redis-cli "${args[@]}" ping 2>/dev/null) || return 1
    [[ $out == PONG ]]
}

url_decode() { local s=${1//+/ }; printf '%b' "${s//%/\\x}"; }

# Returns 0 when an AMQP 0-9-1 broker at URI accepts the credentials and the vhost,
# 1 when nothing (or not AMQP) answers, 2 when the broker refuses the login or the vhost.
rmq_answers() { # amqp uri
    local uri=$1 re='^(amqps?)://(([^:@/]*)(:([^@/]*))?@)?([^:/?]+)(:([0-9]+))?(/([^?]*))?'
    [[ $uri =~ $re ]] || return 1
    local scheme=${BASH_REMATCH[1]} host=${BASH_REMATCH[6]} port=${BASH_REMATCH[8]}
    local user=guest pass=guest vhost=/
    [[ -n ${BASH_REMATCH[2]} ]] && { user=$(url_decode "${BASH_REMATCH[3]}"); pass=$(url_decode "${BASH_REMATCH[5]}"); }
    [[ -n ${BASH_REMATCH[10]} ]] && vhost=$(url_decode "${BASH_REMATCH[10]}")
    if [[ $scheme == amqps ]]; then # TLS: we can only see that the port is open
        port_open "$host" "${port:-5671}"
        return
    fi
    local rc=0
    FK_PROBE_USER=$user FK_PROBE_PASS=$pass LC_ALL=C \
        timeout 15 bash "$SELF" __amqp-probe "$host" "${port:-5672}" "$vhost" 2>/dev/null 9>&- || rc=$?
    ((rc == 124)) && rc=1
    return "$rc"
}

# The probe itself: a minimal AMQP 0-9-1 handshake (protocol header, Start-Ok with PLAIN,
# Tune-Ok, Open vhost, Close), run in its own bash with LC_ALL=C so lengths are byte counts.
amqp_bytes() { local b; for b; do printf "\\x$(printf '%02x' "$b")"; done; }
amqp_be16() { amqp_bytes $(($1 >> 8 & 255)) $(($1 & 255)); }
amqp_be32() { amqp_bytes $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
amqp_read() { # n -> AMQP_BYTES
    local raw
    raw=$(timeout 3 dd bs=1 count="$1" <&3 2>/dev/null | od -An -v -tu1) || return 1
    AMQP_BYTES=()
    read -r -d '' -a AMQP_BYTES <<<"$raw" || true
    ((${#AMQP_BYTES[@]} == $1))
}
amqp_frame() { # -> FRAME_TYPE, FRAME (payload bytes)
    local size
    amqp_read 7 || return 1
    FRAME_TYPE=${AMQP_BYTES[0]}
    ((FRAME_TYPE == 1 || FRAME_TYPE == 8)) || return 1
    size=$(((AMQP_BYTES[3] << 24) | (AMQP_BYTES[4] << 16) | (AMQP_BYTES[5] << 8) | AMQP_BYTES[6]))
    ((size < 1048576)) || return 1
    amqp_read $((size + 1)) || return 1
    ((AMQP_BYTES[size] == 206)) || return 1
    FRAME=("${AMQP_BYTES[@]:0:size}")
}
amqp_method() { # class method
    ((FRAME_TYPE == 1 && ${#FRAME[@]} >= 4)) &&
        (((FRAME[0] << 8 | FRAME[1]) == $1 && (FRAME[2] << 8 | FRAME[3]) == $2))
}
amqp_probe() { # host port vhost (user and password in FK_PROBE_USER / FK_PROBE_PASS)
    local host=$1 port=$2 vhost=$3 user=${FK_PROBE_USER:-} pass=${FK_PROBE_PASS:-}
    exec 3<>"/dev/tcp/$host/$port" || return 1
    printf 'AMQP\x00\x00\x09\x01' >&3
    amqp_frame && amqp_method 10 10 || return 1 # Connection.Start
    local ulen=${#user} plen=${#pass} vlen=${#vhost}
    {
        amqp_bytes 1 0 0
        amqp_be32 $((4 + 4 + 1 + 5 + 4 + 2 + ulen + plen + 1 + 5))
        amqp_bytes 0 10 0 11 # Connection.Start-Ok
        amqp_be32 0          # client properties: empty table
        amqp_bytes 5
        printf PLAIN
        amqp_be32 $((2 + ulen + plen))
        printf '\x00%s\x00%s' "$user" "$pass"
        amqp_bytes 5
        printf en_US
        amqp_bytes 206
    } >&3
    amqp_frame && amqp_method 10 30 || return 2 # Tune; a refused login just closes the socket
    {
        amqp_bytes 1 0 0
        amqp_be32 12
        amqp_bytes 0 10 0 31 "${FRAME[@]:4:8}" 206 # Tune-Ok: echo the broker's limits
        amqp_bytes 1 0 0
        amqp_be32 $((4 + 1 + vlen + 1 + 1))
        amqp_bytes 0 10 0 40 "$vlen" # Connection.Open
        printf '%s' "$vhost"
        amqp_bytes 0 0 206
    } >&3
    amqp_frame && amqp_method 10 41 || return 2 # Open-Ok (Close 10/50 if the vhost is refused)
    {
        amqp_bytes 1 0 0
        amqp_be32 11
        amqp_bytes 0 10 0 50 # Connection.Close 200
        amqp_be16 200
        amqp_bytes 0 0 0 0 0 206
    } >&3
    amqp_frame || true # Close-Ok
    exec 3>&-
    return 0
}

mgmt_get() { # url-path -> body (flowkit credentials)
    curl -fsS --max-time 5 -u "$APP_USER:$APP_PASS" "${RMQ_MGMT_OURS%/}$1" 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

as_pg() { as_user postgres "$PG_DIR" "$@"; }

pg_ours_running() {
    [[ -f $PG_DATA/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

pg_ensure_role_and_db() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres \
        >>"$PG_DIR/setup.log" 2>&1 <<SQL || { show_log "$PG_DIR/setup.log"; die "postgres: could not create role/database $APP_USER"; }
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_USER') THEN
        CREATE ROLE $APP_USER LOGIN CREATEDB PASSWORD '$APP_PASS';
    ELSE
        ALTER ROLE $APP_USER LOGIN CREATEDB PASSWORD '$APP_PASS';
    END IF;
END
\$\$;
SELECT 'CREATE DATABASE $APP_DB OWNER $APP_USER'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$APP_DB')\gexec
SQL
}

pg_write_config() {
    cat >"$PG_DATA/flowkit.conf" <<CONF
# Written by deploy/local/services.sh on every start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = scram-sha-256
CONF
    chown postgres:postgres "$PG_DATA/flowkit.conf"
    grep -q "^include_if_exists = 'flowkit.conf'" "$PG_DATA/postgresql.conf" ||
        printf "\n# Flowkit's private settings (deploy/local/services.sh)\ninclude_if_exists = 'flowkit.conf'\n" \
            >>"$PG_DATA/postgresql.conf"
}

pg_start() {
    mkdir -p "$PG_DIR" "$PG_SOCK"
    chown postgres:postgres "$PG_DIR" "$PG_SOCK"
    chmod 700 "$PG_DIR"
    ensure_traversable "$PG_DIR" postgres
    local sock="$PG_SOCK/.s.PGSQL.$PG_PORT"
    ((${#sock} < 108)) || die "postgres: socket path too long for a unix socket: $sock (move the checkout to a shorter path)"

    if [[ ! -s $PG_DATA/PG_VERSION ]]; then
        say "postgres: creating the data folder $PG_DATA"
        # into a side folder first, so an interrupted initdb never leaves a half-made data folder
        rm -rf "$PG_DATA.new"
        as_pg "$PG_BIN/initdb" -D "$PG_DATA.new" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=peer --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
            { show_log "$PG_DIR/initdb.log"; die "postgres: initdb failed"; }
        rm -rf "$PG_DATA"
        mv "$PG_DATA.new" "$PG_DATA"
    fi
    pg_write_config
    say "postgres: starting on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s </dev/null >>"$PG_DIR/pg_ctl.log" 2>&1 ||
        { show_log "$PG_DIR/pg_ctl.log" "$PG_LOG"; die "postgres: pg_ctl start failed"; }
    wait_until 30 "pg_isready on port $PG_PORT" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" ||
        { show_log "$PG_LOG"; die "postgres: not ready"; }
    pg_ensure_role_and_db
    pg_answers "$PG_CS_OURS" || { show_log "$PG_LOG"; die "postgres: started but $APP_USER cannot log in"; }
    PG_STATE="started by this checkout (pid $(read_pid "$PG_DATA/postmaster.pid"))"
}

# Decide what to do for PostgreSQL (nothing is started here): sets PG_CS, PG_STATE, PG_START.
pg_decide() {
    PG_CS=$PG_CS_OURS
    PG_START=no
    local from_env=${ConnectionStrings__Postgres:-}
    if [[ -n $from_env && $from_env != "$PG_CS_OURS" ]]; then
        if pg_answers "$from_env"; then
            PG_CS=$from_env
            PG_STATE="reused from ConnectionStrings__Postgres (not started here)"
            return 0
        fi
        warn "ConnectionStrings__Postgres is set but that server does not answer; using the private instance instead"
    fi
    if pg_ours_running; then
        pg_answers "$PG_CS_OURS" || pg_ensure_role_and_db
        pg_answers "$PG_CS_OURS" || die "postgres: our instance runs but $APP_USER cannot log in (see $PG_LOG)"
        PG_STATE="already running (this checkout, pid $(read_pid "$PG_DATA/postmaster.pid"))"
        return 0
    fi
    if port_open 127.0.0.1 "$PG_PORT"; then
        pg_answers "$PG_CS_OURS" ||
            die "postgres: port $PG_PORT is in use by something that does not accept $APP_USER/$APP_PASS"
        PG_STATE="reused: port $PG_PORT already answers with our credentials (another checkout's instance?)"
        return 0
    fi
    PG_START=yes
}

pg_down() {
    if pg_ours_running; then
        say "postgres: stopping (pg_ctl stop -m fast)"
        as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s >>"$PG_DIR/pg_ctl.log" 2>&1 ||
            { show_log "$PG_DIR/pg_ctl.log"; die "postgres: pg_ctl stop failed"; }
    else
        say "postgres: not running (from this checkout)"
    fi
}

pg_status() {
    if pg_ours_running; then
        say "postgres: running, this checkout (pid $(read_pid "$PG_DATA/postmaster.pid")), 127.0.0.1:$PG_PORT"
    elif pg_answers "$PG_CS_OURS"; then
        say "postgres: 127.0.0.1:$PG_PORT answers, but not started by this checkout"
    else
        say "postgres: stopped"
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ
#
# The Debian wrappers in /usr/sbin `cd /var/lib/rabbitmq` and `su rabbitmq`, which makes HOME
# (and so the Erlang cookie) /var/lib/rabbitmq, shared with the system node. We call the real
# scripts in /usr/lib/rabbitmq/bin as the rabbitmq user ourselves, with HOME set to our folder:
# the node and every rabbitmqctl we run read the same private cookie, and the system's
# rabbitmq-env.conf is not read.

RMQ_ENV=(
    HOME="$RMQ_DIR"
    LANG=C.UTF-8 LC_ALL=C.UTF-8
    RABBITMQ_NODENAME="$RMQ_NODENAME"
    RABBITMQ_USE_LONGNAME=false
    RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
    RABBITMQ_CTL_DIST_PORT_MIN="$RMQ_CTL_DIST_PORT_MIN"
    RABBITMQ_CTL_DIST_PORT_MAX="$((RMQ_CTL_DIST_PORT_MIN + 10))"
    ERL_EPMD_PORT="$RMQ_EPMD_PORT"
    ERL_EPMD_ADDRESS=127.0.0.1
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
    RABBITMQ_LOG_BASE="$RMQ_DIR/log"
    RABBITMQ_PID_FILE="$RMQ_PID"
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
    RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
    RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
)

as_rmq() { as_user rabbitmq "$RMQ_DIR" env "${RMQ_ENV[@]}" "$@"; }
rmqctl() { as_rmq "$RMQ_LIB/rabbitmqctl" "$@"; }

rmq_is_ours() { # pid: a beam started with our RABBITMQ_MNESIA_BASE (its command line names no folder)
    pid_alive "$1" &&
        tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qxF "RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia"
}

rmq_ours_pid() { # prints the pid of the node started from this checkout, if it runs
    local pid
    pid=$(read_pid "$RMQ_PID")
    if rmq_is_ours "$pid"; then
        echo "$pid"
        return 0
    fi
    # no (valid) pid file yet: a node that is still booting, e.g. after an interrupted `up`
    local comm
    for comm in /proc/[0-9]*/comm; do
        [[ $(cat "$comm" 2>/dev/null) == beam.smp ]] || continue
        pid=${comm#/proc/}
        pid=${pid%/comm}
        if rmq_is_ours "$pid"; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

epmd_bin() { command -v epmd || ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | tail -n 1; }

rmq_write_config() {
    mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
    cat >"$RMQ_DIR/rabbitmq.conf" <<CONF
# Written by deploy/local/services.sh on every start; edit the script, not this file.
listeners.tcp.default = 127.0.0.1:$RMQ_PORT
distribution.listener.interface = 127.0.0.1
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $RMQ_PROM_PORT
# Used only when the node boots with an empty database; services.sh checks them afterwards.
default_vhost = /
default_user = $APP_USER
default_pass = $APP_PASS
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = false
log.file.level = info
CONF
    echo '[rabbitmq_management,rabbitmq_prometheus].' >"$RMQ_DIR/enabled_plugins"
    echo '[].' >"$RMQ_DIR/advanced.config"
    echo '# Intentionally empty: keeps /etc/rabbitmq/rabbitmq-env.conf out of this node.' >"$RMQ_DIR/rabbitmq-env.conf"
    if [[ ! -s $RMQ_DIR/.erlang.cookie ]]; then
        local cookie
        cookie=$(head -c 2000 /dev/urandom | tr -dc 'A-Z')
        printf '%s' "${cookie:0:32}" >"$RMQ_DIR/.erlang.cookie"
    fi
    chown -R rabbitmq:rabbitmq "$RMQ_DIR"
    chmod 750 "$RMQ_DIR"
    chmod 400 "$RMQ_DIR/.erlang.cookie"
}

# Decide what to do for RabbitMQ: sets RMQ_CS, RMQ_MGMT, RMQ_STATE, RMQ_START, RMQ_WAIT.
rmq_decide() {
    RMQ_CS=$RMQ_CS_OURS
    RMQ_MGMT=$RMQ_MGMT_OURS
    RMQ_START=no
    RMQ_WAIT=no
    local from_env=${ConnectionStrings__RabbitMq:-} rc=0
    if [[ -n $from_env && $from_env != "$RMQ_CS_OURS" ]]; then
        rmq_answers "$from_env" || rc=$?
        if ((rc == 0)); then
            RMQ_CS=$from_env
            RMQ_MGMT=${Flowkit__RabbitMqManagementUrl:-}
            RMQ_STATE="reused from ConnectionStrings__RabbitMq (not started here)"
            [[ -n $RMQ_MGMT ]] || warn "ConnectionStrings__RabbitMq is reused but Flowkit__RabbitMqManagementUrl is not set; it is left empty in services.env"
            return 0
        fi
        warn "ConnectionStrings__RabbitMq is set but that broker does not answer (or refuses the login); using the private instance instead"
    fi
    local pid
    if pid=$(rmq_ours_pid); then
        RMQ_STATE="already running (this checkout, pid $pid)"
        rmq_answers "$RMQ_CS_OURS" && mgmt_get /api/overview >/dev/null || RMQ_WAIT=yes
        return 0
    fi
    rc=0
    port_open 127.0.0.1 "$RMQ_PORT" && { rmq_answers "$RMQ_CS_OURS" || rc=$?; } || rc=-1
    if ((rc == 0)); then
        RMQ_STATE="reused: port $RMQ_PORT already answers with our credentials (another checkout's instance?)"
        return 0
    elif ((rc != -1)); then
        die "rabbitmq: port $RMQ_PORT is in use by something that does not accept $APP_USER/$APP_PASS"
    fi
    local p
    for p in "$RMQ_MGMT_PORT" "$RMQ_PROM_PORT" "$RMQ_DIST_PORT"; do
        port_open 127.0.0.1 "$p" && die "rabbitmq: port $p is already in use; cannot start the private broker"
    done
    RMQ_START=yes
}

# Launch the node; it boots while PostgreSQL and Redis start, rmq_up_finish waits for it.
rmq_launch() {
    rmq_write_config
    ensure_traversable "$RMQ_DIR" rabbitmq
    rm -f "$RMQ_PID"
    say "rabbitmq: starting node $RMQ_NODENAME on 127.0.0.1:$RMQ_PORT"
    as_rmq "$RMQ_LIB/rabbitmq-server" -detached </dev/null >>"$RMQ_DIR/log/startup.log" 2>&1 ||
        { show_log "$RMQ_DIR/log/startup.log"; die "rabbitmq: rabbitmq-server -detached failed"; }
    RMQ_STATE=started
    RMQ_WAIT=yes
}

rmq_user_ok() {
    rmq_answers "$RMQ_CS_OURS" || return 1
    mgmt_get /api/whoami | grep -q '"administrator"' || return 1
    mgmt_get "/api/permissions/%2F/$APP_USER" | grep -q '"configure":"\.\*","write":"\.\*","read":"\.\*"'
}

rmq_ensure_user() {
    local log=$RMQ_DIR/log/setup.log
    say "rabbitmq: creating/updating user $APP_USER"
    {
        rmqctl add_user "$APP_USER" "$APP_PASS" || rmqctl change_password "$APP_USER" "$APP_PASS"
        rmqctl set_user_tags "$APP_USER" administrator &&
            rmqctl set_permissions -p / "$APP_USER" '.*' '.*' '.*'
    } >>"$log" 2>&1 || { show_log "$log"; die "rabbitmq: could not set up user $APP_USER"; }
}

# Phase 2: wait for the node, then make sure the flowkit user is there.
rmq_up_finish() {
    [[ $RMQ_WAIT == yes ]] || return 0
    local log=$RMQ_DIR/log/startup.log
    timeout 90 bash -c 'until [[ -s $0 ]]; do sleep 0.2; done' "$RMQ_PID" ||
        { show_log "$log" "$RMQ_DIR/log/$RMQ_NODENAME.log"; die "rabbitmq: no pid file after 90s"; }
    if ! as_rmq timeout 150 "$RMQ_LIB/rabbitmqctl" wait --timeout 120 "$RMQ_PID" </dev/null >>"$log" 2>&1; then
        show_log "$log" "$RMQ_DIR/log/$RMQ_NODENAME.log"
        die "rabbitmq: node did not start (rabbitmqctl wait failed)"
    fi
    wait_until 60 "the management UI on port $RMQ_MGMT_PORT" curl -fsS --max-time 3 -o /dev/null "$RMQ_MGMT_OURS" ||
        { show_log "$RMQ_DIR/log/$RMQ_NODENAME.log"; die "rabbitmq: management UI did not come up"; }
    rmq_user_ok || rmq_ensure_user
    rmq_user_ok || die "rabbitmq: $APP_USER still cannot log in (see $RMQ_DIR/log)"
    [[ $RMQ_STATE == started ]] && RMQ_STATE="started by this checkout (pid $(read_pid "$RMQ_PID"))"
    return 0
}

rmq_epmd_down() { # [quiet]: stop the epmd on our private port if no node is registered with it
    local epmd names quiet=${1:-}
    epmd=$(epmd_bin) || return 0
    [[ -n $epmd ]] || return 0
    names=$("$epmd" -port "$RMQ_EPMD_PORT" -names 2>/dev/null) || return 0
    if grep -q '^name ' <<<"$names"; then
        [[ -n $quiet ]] ||
            say "rabbitmq: epmd on port $RMQ_EPMD_PORT still has registered nodes; left running"
        return 0
    fi
    if "$epmd" -port "$RMQ_EPMD_PORT" -kill >/dev/null 2>&1; then
        say "rabbitmq: stopped the private epmd on port $RMQ_EPMD_PORT"
    fi
}

rmq_down() {
    local pid
    if pid=$(rmq_ours_pid); then
        say "rabbitmq: stopping node $RMQ_NODENAME (rabbitmqctl stop)"
        if [[ $(read_pid "$RMQ_PID") != "$pid" ]] ||
            ! as_rmq timeout 120 "$RMQ_LIB/rabbitmqctl" stop "$RMQ_PID" </dev/null >>"$RMQ_DIR/log/setup.log" 2>&1; then
            warn "rabbitmq: rabbitmqctl stop not possible; sending SIGTERM to $pid"
            kill -TERM "$pid" 2>/dev/null || true
            wait_until 60 "rabbitmq pid $pid to exit" bash -c '! [[ -d /proc/$0 ]]' "$pid" || kill -KILL "$pid" 2>/dev/null || true
        fi
        rmq_epmd_down
    else
        say "rabbitmq: not running (from this checkout)"
        rmq_epmd_down quiet
    fi
}

rmq_status() {
    local pid
    if pid=$(rmq_ours_pid); then
        say "rabbitmq: running, this checkout (pid $pid), amqp 127.0.0.1:$RMQ_PORT, management $RMQ_MGMT_OURS"
    elif rmq_answers "$RMQ_CS_OURS"; then
        say "rabbitmq: 127.0.0.1:$RMQ_PORT answers, but not started by this checkout"
    else
        say "rabbitmq: stopped"
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_ours_pid() {
    local pid
    pid=$(read_pid "$REDIS_PID")
    pid_alive "$pid" || return 1
    # redis chdir()s into --dir, so this tells our server from any other process with that pid
    [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$REDIS_DIR" ]] || return 1
    echo "$pid"
}

# Decide what to do for Redis: sets REDIS_CS, REDIS_STATE, REDIS_START.
redis_decide() {
    REDIS_CS=$REDIS_CS_OURS
    REDIS_START=no
    local from_env=${ConnectionStrings__Redis:-} pid
    if [[ -n $from_env && $from_env != "$REDIS_CS_OURS" ]]; then
        if redis_answers "$from_env"; then
            REDIS_CS=$from_env
            REDIS_STATE="reused from ConnectionStrings__Redis (not started here)"
            return 0
        fi
        warn "ConnectionStrings__Redis is set but that server does not answer; using the private instance instead"
    fi
    if pid=$(redis_ours_pid); then
        wait_until 10 "redis PONG" redis_answers "$REDIS_CS_OURS" || die "redis: our instance (pid $pid) does not answer PING"
        REDIS_STATE="already running (this checkout, pid $pid)"
        return 0
    fi
    if port_open 127.0.0.1 "$REDIS_PORT"; then
        redis_answers "$REDIS_CS_OURS" || die "redis: port $REDIS_PORT is in use by something that does not answer PING"
        REDIS_STATE="reused: port $REDIS_PORT already answers PING (another checkout's instance?)"
        return 0
    fi
    REDIS_START=yes
}

redis_start() {
    mkdir -p "$REDIS_DIR"
    rm -f "$REDIS_PID"
    say "redis: starting on 127.0.0.1:$REDIS_PORT"
    (cd "$REDIS_DIR" && redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
        --save '' --appendonly no --daemonize yes \
        --pidfile "$REDIS_PID" --logfile "$REDIS_DIR/redis.log" </dev/null >/dev/null 2>&1 9>&-) ||
        { show_log "$REDIS_DIR/redis.log"; die "redis: redis-server failed to start"; }
    wait_until 20 "redis PONG on port $REDIS_PORT" redis_answers "$REDIS_CS_OURS" ||
        { show_log "$REDIS_DIR/redis.log"; die "redis: not answering"; }
    wait_until 5 "redis pid file" redis_ours_pid || true
    REDIS_STATE="started by this checkout (pid $(read_pid "$REDIS_PID"))"
}

redis_down() {
    local pid
    if pid=$(redis_ours_pid); then
        say "redis: stopping (redis-cli shutdown nosave)"
        timeout 10 redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        if ! wait_until 15 "redis pid $pid to exit" bash -c '! [[ -d /proc/$0 ]]' "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    else
        say "redis: not running (from this checkout)"
    fi
}

redis_status() {
    local pid
    if pid=$(redis_ours_pid); then
        say "redis: running, this checkout (pid $pid), 127.0.0.1:$REDIS_PORT"
    elif redis_answers "$REDIS_CS_OURS"; then
        say "redis: 127.0.0.1:$REDIS_PORT answers, but not started by this checkout"
    else
        say "redis: stopped"
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------
# commands

write_env_file() {
    local tmp=$ENV_FILE.tmp
    cat >"$tmp" <<EOF
ConnectionStrings__Postgres=$PG_CS
ConnectionStrings__RabbitMq=$RMQ_CS
ConnectionStrings__Redis=$REDIS_CS
Flowkit__RabbitMqManagementUrl=$RMQ_MGMT
EOF
    mv -f "$tmp" "$ENV_FILE"
}

cmd_up() {
    require_root
    local started=$SECONDS
    take_lock
    ensure_packages
    PG_BIN=$(pg_bin_dir)
    # decide everything first, so a port conflict stops us before anything is started
    pg_decide
    rmq_decide
    redis_decide
    if [[ $RMQ_START == yes ]]; then rmq_launch; fi
    if [[ $PG_START == yes ]]; then pg_start; fi
    if [[ $REDIS_START == yes ]]; then redis_start; fi
    rmq_up_finish
    write_env_file
    local pg_line rmq_line redis_line
    pg_line="127.0.0.1:$PG_PORT, database $APP_DB, login $APP_USER/$APP_PASS"
    [[ $PG_CS == "$PG_CS_OURS" ]] || pg_line="ConnectionStrings__Postgres=$PG_CS"
    rmq_line="amqp://127.0.0.1:$RMQ_PORT/ (login $APP_USER/$APP_PASS)"
    [[ $RMQ_CS == "$RMQ_CS_OURS" ]] || rmq_line="ConnectionStrings__RabbitMq=$RMQ_CS"
    redis_line="127.0.0.1:$REDIS_PORT"
    [[ $REDIS_CS == "$REDIS_CS_OURS" ]] || redis_line="ConnectionStrings__Redis=$REDIS_CS"
    say ""
    say "Flowkit local services are up ($((SECONDS - started))s):"
    say "  PostgreSQL  $pg_line"
    say "              $PG_STATE"
    say "  RabbitMQ    $rmq_line"
    if [[ $RMQ_CS == "$RMQ_CS_OURS" ]]; then
        say "              management UI $RMQ_MGMT_OURS (login $APP_USER/$APP_PASS)"
        say "              Prometheus metrics http://127.0.0.1:$RMQ_PROM_PORT/metrics"
    else
        say "              management UI ${RMQ_MGMT:-unknown (set Flowkit__RabbitMqManagementUrl)}"
    fi
    say "              $RMQ_STATE"
    say "  Redis       $redis_line"
    say "              $REDIS_STATE"
    say "  Settings    $ENV_FILE"
    say "              (into a shell: eval \"\$($SELF env)\")"
}

cmd_down() {
    require_root
    [[ -d $SERVICES_DIR ]] || { say "nothing to stop: $SERVICES_DIR does not exist"; return 0; }
    take_lock
    PG_BIN=$(pg_bin_dir) || PG_BIN=
    if [[ -n $PG_BIN ]]; then pg_down; else say "postgres: not installed"; fi
    if [[ -x $RMQ_LIB/rabbitmqctl ]]; then rmq_down; else say "rabbitmq: not installed"; fi
    if command -v redis-cli >/dev/null; then redis_down; else say "redis: not installed"; fi
    [[ ${1:-} == reset ]] || say "data kept in $SERVICES_DIR"
}

cmd_status() {
    local rc=0
    PG_BIN=$(pg_bin_dir) || PG_BIN=
    if [[ -n $PG_BIN ]]; then pg_status || rc=1; else say "postgres: not installed"; rc=1; fi
    if [[ -x $RMQ_LIB/rabbitmqctl ]]; then rmq_status || rc=1; else say "rabbitmq: not installed"; rc=1; fi
    if command -v redis-cli >/dev/null; then redis_status || rc=1; else say "redis: not installed"; rc=1; fi
    if [[ -f $ENV_FILE ]]; then say "settings: $ENV_FILE"; fi
    return "$rc"
}

cmd_env() {
    [[ -f $ENV_FILE ]] || die "$ENV_FILE does not exist yet; run: $SELF up"
    local key value
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line == *=* && $line != \#* ]] || continue
        key=${line%%=*}
        value=${line#*=}
        printf 'export %s=%q\n' "$key" "$value"
    done <"$ENV_FILE"
}

cmd_reset() {
    cmd_down reset
    say "deleting $SERVICES_DIR"
    rm -rf "$SERVICES_DIR"
}

usage() {
    cat <<EOF
usage: $(basename "$0") up|down|status|env|reset

  up      install missing packages (postgresql-15, rabbitmq-server, redis-server), start the
          private instances that are not running, write $ENV_FILE
  down    stop the instances this checkout started (data is kept)
  status  show what runs; exit 0 only if all three answer
  env     print services.env as 'export KEY=VALUE' lines:  eval "\$($0 env)"
  reset   down, then delete $SERVICES_DIR
EOF
}

case ${1:-} in
    up) cmd_up ;;
    down | stop) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset) require_root && cmd_reset ;;
    __amqp-probe) shift && amqp_probe "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2 && exit 2 ;;
esac
