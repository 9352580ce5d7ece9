# syntax=docker/dockerfile:1
# Bouncer: the API and the dashboard it serves, in one image.
#   docker build -t bouncer .
#   docker run -p 3000:3000 -v bouncer-data:/var/lib/bouncer -e HOST=0.0.0.0 -e ALLOW_INSECURE_HTTP=true bouncer
# (ALLOW_INSECURE_HTTP only behind a TLS-terminating proxy; or mount a certificate and set TLS_CERT_FILE/TLS_KEY_FILE.)
# Several instances with PostgreSQL, Redis and nginx: docker-compose.yml.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then the API and the dashboard into dist/ ---------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx run-many -t build -p api dashboard --output-style=static

# ---- production dependencies only (no Angular, Nx, Jest, TypeScript) -------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime: the build and its production dependencies, as a non-root user ------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DATA_DIR=/var/lib/bouncer \
    PORT=3000 \
    SHUTDOWN_DRAIN_SECONDS=5 \
    SHUTDOWN_TIMEOUT_SECONDS=30
WORKDIR /opt/bouncer
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The data folder (embedded database, generated signing key, first admin password) belongs to the
# image's unprivileged `node` user (uid 1000) and nobody else.
RUN install -d -o node -g node -m 0700 /var/lib/bouncer
USER node
VOLUME ["/var/lib/bouncer"]
EXPOSE 3000
# Readiness, not liveness: 503 while draining for shutdown or when the embedded database does not
# answer; `degraded` (a lost Redis or PostgreSQL) is still 200 on purpose (README, Operations > Probes).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself receives SIGTERM (no shell in between) and drains; give it `stop_grace_period: 40s`.
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/api/main.js"]
