# robusto's container image: docker build -t robusto . (see docs/production.md).
# Not built in robusto's CI (its machines cannot build images); test/deploy checks that every
# variable, port and path used here exists in robusto's configuration.

# Build: compile TypeScript, with the SQLite driver built for this exact Node.js.
FROM node:24-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bench ./bench
COPY test/support/fault-proxy.ts ./test/support/fault-proxy.ts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run: the compiled code and production packages only, as an unprivileged user.
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist/src ./dist/src
# DATA_DIR: the SQLite database, the journal of writes waiting for the database, keys, logs and
# backups. A volume, so they outlive the container; owned by the user robusto runs as.
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME ["/data"]
USER node
EXPOSE 8000
# Ready = it answers and its database does; a container that is not is taken out of rotation.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8000/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: every worker finishes its requests, then the process exits 0 (SHUTDOWN_TIMEOUT_MS).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js", "start"]
