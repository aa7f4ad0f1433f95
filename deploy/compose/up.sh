#!/usr/bin/env bash
# Flowkit with Docker Compose in one command: writes deploy/compose/.env with fresh random keys and passwords the
# first time (kept afterwards: the database and the stored secrets depend on them), builds the image and starts
# everything, then waits until the API is ready. Needs Docker with the Compose plugin. docs/operations.md.
#
#   deploy/compose/up.sh            build and start (or update) the stack
#   deploy/compose/up.sh down       stop it (volumes are kept; `docker compose -f deploy/compose/compose.yaml down -v` deletes them)
set -euo pipefail
cd "$(dirname "$0")"

if [[ ${1:-} == down ]]; then
    exec docker compose down
fi

command -v docker >/dev/null || { echo "error: docker is not installed" >&2; exit 1; }
docker compose version >/dev/null 2>&1 || { echo "error: the Docker Compose plugin is missing (docker compose version)" >&2; exit 1; }

random() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
word() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }

if [[ ! -f .env ]]; then
    umask 077
    cat >.env <<ENV
# Written by deploy/compose/up.sh. Keep it: PostgreSQL and RabbitMQ were initialised with these passwords, and the
# secrets stored in Flowkit are encrypted with FLOWKIT_SECRETS_KEY (docs/operations.md, "Rotate the secrets key").
POSTGRES_PASSWORD=$(word)
RABBITMQ_PASSWORD=$(word)
FLOWKIT_BOOTSTRAP_KEY=$(word)$(word)
FLOWKIT_SECRETS_KEY=$(random)
GRAFANA_ADMIN_PASSWORD=$(word)
ENV
    echo "wrote deploy/compose/.env (the admin API key is FLOWKIT_BOOTSTRAP_KEY in it)"
fi

docker compose up -d --build --wait api
docker compose up -d
echo "Flowkit: http://127.0.0.1:8080  Grafana: http://127.0.0.1:3000  RabbitMQ: http://127.0.0.1:15672  Kibana: http://127.0.0.1:5601"
