# syntax=docker/dockerfile:1
# The Flowkit image: one executable for every role (Flowkit__Roles = api, engine, worker, scheduler; default all),
# with the web console's static files inside. Build from the repository root:
#
#   docker build -t flowkit:dev .
#
# Stages: console (Node builds web/console/dist), build (the .NET SDK publishes the host with the console beside it),
# runtime (ASP.NET Core runtime only, non-root). Base images are pinned to exact versions; tests/Flowkit.Deploy.Tests
# (DockerfileTests) checks that, the non-root user and the health check. docs/operations.md says how to run it.

ARG NODE_IMAGE=node:20.19.5-bookworm-slim
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.100-noble
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0.0-noble

# ---- console: web/console -> /console/dist (npm ci from the committed lock file, then esbuild) ----
FROM ${NODE_IMAGE} AS console
WORKDIR /console
COPY web/console/package.json web/console/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/console/ ./
RUN npm run build

# ---- build: restore (cached while project files do not change), then publish the host in Release ----
FROM ${SDK_IMAGE} AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY contracts/Flowkit.Contracts/Flowkit.Contracts.csproj contracts/Flowkit.Contracts/
COPY sagas/Flowkit.Sagas/Flowkit.Sagas.csproj sagas/Flowkit.Sagas/
COPY src/Flowkit.Definitions/Flowkit.Definitions.csproj src/Flowkit.Definitions/
COPY src/Flowkit.Persistence/Flowkit.Persistence.csproj src/Flowkit.Persistence/
COPY src/Flowkit.Api/Flowkit.Api.csproj src/Flowkit.Api/
COPY src/Flowkit.Engine/Flowkit.Engine.csproj src/Flowkit.Engine/
COPY src/Flowkit.Worker/Flowkit.Worker.csproj src/Flowkit.Worker/
COPY src/Flowkit.Hub/Flowkit.Hub.csproj src/Flowkit.Hub/
COPY src/Flowkit.Host/Flowkit.Host.csproj src/Flowkit.Host/
RUN dotnet restore src/Flowkit.Host/Flowkit.Host.csproj
COPY contracts/ contracts/
COPY sagas/ sagas/
COPY src/ src/
# The host's project copies web/console/dist into 'console' beside the assembly (src/Flowkit.Host/Flowkit.Host.csproj).
COPY --from=console /console/dist/ web/console/dist/
RUN dotnet publish src/Flowkit.Host/Flowkit.Host.csproj -c Release --no-restore -o /app /p:UseAppHost=false

# ---- runtime: the ASP.NET Core runtime and the published host, run as the image's non-root user ----
FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Flowkit" \
      org.opencontainers.image.description="Flowkit low-code workflow platform: api, engine, worker and scheduler roles in one image"
ENV ASPNETCORE_HTTP_PORTS=8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    Flowkit__Roles=api,engine,worker,scheduler \
    Flowkit__Observability__LogFormat=json
WORKDIR /app
COPY --from=build --chown=root:root /app/ ./
# 1654 is the 'app' user of Microsoft's .NET images: numeric, so Kubernetes' runAsNonRoot can verify it.
USER 1654
EXPOSE 8080
# Liveness over plain HTTP without curl in the image: bash's /dev/tcp sends the request, the status line must be 200.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/live HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "Flowkit.Host.dll"]
