# Multi-stage build: compile with the full toolchain, ship only production dependencies and the
# compiled operator on a distroless Node 24 LTS base (the major the test suite runs on), as non-root.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the image brings its own Node, so the dev-only `node` package is not set up.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY hack ./hack
COPY test ./test
# The bundle (hack/bundle.ts) is what runs; esbuild's binary comes as an optional dependency, without scripts.
RUN npx tsc -p tsconfig.json && node dist/hack/bundle.js && npm prune --omit=dev --ignore-scripts && mkdir compile-cache

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/bundle ./dist/bundle
# Node's module compile cache, filled here, so a container does not compile the bundle at every start.
# Node keeps one per user id, so it is filled as the user the container runs as; read-only at run time.
ENV NODE_COMPILE_CACHE=/app/compile-cache
COPY --from=build --chown=65532:65532 /src/compile-cache ./compile-cache
USER 65532:65532
RUN ["/nodejs/bin/node", "dist/bundle/compile-cache.js"]
# 8081: the controller's /healthz, /readyz, /metrics; 4002: `cf-api`.
EXPOSE 8081 4002
ENTRYPOINT ["/nodejs/bin/node", "dist/bundle/appnetpol.js"]
CMD ["controller"]
