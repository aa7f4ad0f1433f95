# Flowkit: every command a user or CI needs. `make run` and `make test` set up everything themselves.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SERVICES_ENV := .local/services/services.env
# Load the service addresses that deploy/local/services.sh wrote (if any) into every recipe's environment.
LOAD_ENV = eval "$$(bash deploy/local/services.sh env)"
DOTNET_FLAGS := --nologo
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help services-up services-down services-status observability-tools k8s-tools console browser build test test-unit test-integration chaos scale compose-up run run-debug bench bench-peers bench-ingress clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

services-up: ## Start private PostgreSQL, RabbitMQ and Redis on loopback (installs them if missing)
	@bash deploy/local/services.sh up

services-down: ## Stop the private services (data is kept under .local/services)
	@bash deploy/local/services.sh down

services-status: ## Show which private services are running
	@bash deploy/local/services.sh status

console: ## Build the web console (npm ci, esbuild) into web/console/dist; installs nodejs/npm if missing
	@bash deploy/local/console.sh

browser: ## Install Debian's chromium (headless) for the console's end-to-end tests
	@bash deploy/local/browser.sh

build: console ## Build the solution (warnings are errors) and the web console
	dotnet build Flowkit.sln $(DOTNET_FLAGS) -c Debug

test: services-up observability-tools k8s-tools browser build ## Services up, build, run every test
	@$(LOAD_ENV); dotnet test --solution Flowkit.sln --no-build

observability-tools: ## Install prometheus and promtool (Debian package) for the rule checks and the Prometheus test
	@bash deploy/prometheus/install.sh

k8s-tools: ## Install kubectl (Debian package; its kustomize renders deploy/k8s in the manifest tests)
	@bash deploy/k8s/install-kubectl.sh

compose-up: ## Flowkit with Docker Compose on this machine (needs Docker): image, migrations, services, dashboards, logs
	@bash deploy/compose/up.sh

test-unit: build ## Only the tests that need no services
	dotnet test --project tests/Flowkit.Definitions.Tests --no-build
	dotnet test --project tests/Flowkit.Sagas.Tests --no-build
	dotnet test --project tests/Flowkit.Worker.Tests --no-build

chaos: services-up ## The fault suite: processes and private services killed under load (minutes); figures in artifacts/chaos/figures.md
	dotnet build tests/Flowkit.Chaos $(DOTNET_FLAGS) -c Debug -v quiet
	@rm -f artifacts/chaos/figures.md
	@status=0; tests/Flowkit.Chaos/bin/Debug/net10.0/Flowkit.Chaos -noColor $(CHAOS_ARGS) || status=$$?; \
	  echo; cat artifacts/chaos/figures.md 2>/dev/null || true; exit $$status

scale: services-up ## Scale-out: api, 2 engines, 1-3 workers as processes; workers stopped and added mid-load; figures in artifacts/scale/figures.md
	dotnet build tests/Flowkit.Chaos $(DOTNET_FLAGS) -c Debug -v quiet
	@rm -f artifacts/scale/figures.md
	@status=0; tests/Flowkit.Chaos/bin/Debug/net10.0/Flowkit.Chaos -noColor -class Flowkit.Chaos.ScaleOutTests $(SCALE_ARGS) || status=$$?; \
	  echo; cat artifacts/scale/figures.md 2>/dev/null || true; exit $$status

run: services-up console ## Services up, migrations, the all-in-one host (Release build) and the console on http://127.0.0.1:8080 with examples/ loaded
	@$(LOAD_ENV); dotnet build src/Flowkit.Host $(DOTNET_FLAGS) -c Release -v quiet
	@$(LOAD_ENV); bash deploy/local/load-examples.sh & \
	  $(LOAD_ENV); cd src/Flowkit.Host/bin/Release/net10.0 && \
	  ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=http://127.0.0.1:8080 exec dotnet Flowkit.Host.dll

run-debug: services-up console ## The same with a Debug build under dotnet run, for developers (slower)
	@$(LOAD_ENV); dotnet build src/Flowkit.Host $(DOTNET_FLAGS) -c Debug -v quiet
	@$(LOAD_ENV); bash deploy/local/load-examples.sh & \
	  $(LOAD_ENV); ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=http://127.0.0.1:8080 \
	  dotnet run --project src/Flowkit.Host --no-build --no-launch-profile

bench: services-up ## Engine benchmark beside this machine's ceilings (figures go to docs/benchmarks.md)
	dotnet build tests/Flowkit.Benchmarks -c Release $(DOTNET_FLAGS) -v quiet
	@$(LOAD_ENV); dotnet tests/Flowkit.Benchmarks/bin/Release/net10.0/Flowkit.Benchmarks.dll $(BENCH_ARGS)
	@$(LOAD_ENV); dotnet tests/Flowkit.Benchmarks/bin/Release/net10.0/Flowkit.Benchmarks.dll --foreach

bench-peers: services-up ## Linear-10 on Flowkit and on Hangfire (Hangfire.PostgreSql) on the same PostgreSQL, one run; see docs/benchmarks.md
	dotnet build tests/Flowkit.Benchmarks -c Release $(DOTNET_FLAGS) -v quiet
	@$(LOAD_ENV); dotnet tests/Flowkit.Benchmarks/bin/Release/net10.0/Flowkit.Benchmarks.dll --peers $(BENCH_ARGS)

bench-ingress: services-up ## Webhooks accepted/s at 64 connections (wrk) beside bare Kestrel; see docs/ingress.md
	@bash bench/ingress.sh

clean: ## Remove build output
	dotnet clean Flowkit.sln $(DOTNET_FLAGS) -v quiet
