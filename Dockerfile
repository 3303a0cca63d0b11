# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The sandbox workspace's manifest only, so the lockfile matches; --workspaces=false leaves the
# sandbox (simulators, playground, ws) out of the install, and so out of the image.
COPY sandbox/package.json ./sandbox/
RUN npm ci --no-audit --no-fund --workspaces=false
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --workspaces=false

# Runtime stage: compiled code and production dependencies only, as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    # `npm start` would otherwise compile first; the image already holds the compiled code.
    NPM_CONFIG_IGNORE_SCRIPTS=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node roles.example.yml manifest.yml ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Mount your role map at /app/roles.yml (the default ROLE_MAP, ./roles.yml) in every container (workers
# check rights too), or give it in ROLE_MAP_YAML where there is nothing to mount. To run one half:
#   docker run ... droplet-bot npm run start:web
CMD ["npm", "start"]
