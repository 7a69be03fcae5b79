# syntax=docker/dockerfile:1
# lip in a container: three stages, so the image holds no compiler, no TypeScript and no dev
# dependency, and runs as the unprivileged `node` user. Build and run: docs/deployment.md.
#   docker build -t lip .
#   docker run --rm -p 8080:8080 -e LIP_API_KEY=... lip                 # serve --multi-user
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile lib/ to dist/ (dev dependencies live only in this stage).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY scripts ./scripts
RUN npx tsc -p tsconfig.build.json && node scripts/precompile-validators.js

# 2. Production dependencies only. better-sqlite3 is a native addon: its install script is the
#    one allowed to run (a prebuilt binary, else a compile with the tools installed here).
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

# 3. The runtime image. tini is PID 1: it hands SIGTERM to lip (which drains: /readyz turns 503
#    for server.drain_delay, then in-flight streams get server.shutdown_timeout) and reaps the
#    worker processes of --workers should the primary die.
FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    LIP_CONFIG=/etc/lip/lip.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY deploy/docker/lip.yaml /etc/lip/lip.yaml
USER node
EXPOSE 8080
STOPSIGNAL SIGTERM
# Liveness of the process (not readiness: a Redis outage must not get every instance restarted).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/lip.js"]
CMD ["serve", "--multi-user"]
