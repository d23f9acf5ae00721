# One image for the api, worker and migrate processes; the compose file picks the command.
# Debian (glibc), not Alpine: @temporalio/core-bridge ships glibc prebuilds only.
# Three stages: `build` compiles the TypeScript with the dev dependencies (npm run build -> dist/), `deps`
# installs the production dependencies only, and the final image holds those, package.json and dist/.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# The postinstall script would otherwise build the temporal CLI, which only `npm run dev` needs.
ENV SSO_SKIP_TEMPORAL_CLI=1
COPY package.json package-lock.json ./
# postinstall runs both; without tsconfig.build.json yet, build.mjs --at-install does nothing.
COPY scripts/temporal-cli.mjs scripts/build.mjs scripts/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV SSO_SKIP_TEMPORAL_CLI=1
COPY package.json package-lock.json ./
COPY scripts/temporal-cli.mjs scripts/build.mjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# package.json says "type": "module", which makes node load dist/**/*.js as ES modules. build.mjs is
# there for `npm run api` inside the image (its pre-step sees dist/ without sources and leaves it).
COPY package.json ./
COPY scripts/build.mjs scripts/
# dist/ holds the compiled code and the files it reads beside itself (db/migrations, api/pages/app.css).
COPY --from=build /app/dist ./dist
# Files stay root-owned, so the app cannot rewrite its own code; nothing is written under /app at run time.
USER node
EXPOSE 3000
# node rather than npx/npm: node is PID 1 and receives SIGTERM itself.
CMD ["node", "dist/api/main.js"]
