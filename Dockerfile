# One image for the api, worker and migrate processes; the compose file picks the command.
# Debian (glibc), not Alpine: @temporalio/core-bridge ships glibc prebuilds only.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# The postinstall script would otherwise build the temporal CLI, which only `npm run dev` needs.
ENV SSO_SKIP_TEMPORAL_CLI=1
COPY package.json package-lock.json ./
COPY scripts/temporal-cli.mjs scripts/
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Files stay root-owned, so the app cannot rewrite its own code; tsx caches under /tmp.
USER node
EXPOSE 3000
# node --import tsx rather than npx/npm: node is PID 1 and receives SIGTERM itself.
CMD ["node", "--import", "tsx", "api/main.ts"]
