// The sandbox's public entry: the simulators, the playground and `npm start` with nothing
// configured. It builds on the bot's public entry ('droplet-bot') and nothing else of the bot's.
export * from './slack/index.js';
export * from './digitalocean/index.js';
export { freePort, listenOnLoopback } from './net.js';
export { findOrStartRedis, LocalRedisError, ping, spawnRedisServer, type LocalRedis } from './playground/local-redis.js';
export { PLAYGROUND_PEOPLE, sandboxRoleMap } from './playground/people.js';
export { startPlayground, type Playground } from './playground/server.js';
export { SANDBOX_BANNER, SANDBOX_PREFIX, startSandbox, type RunningSandbox } from './start-sandbox.js';
export { runSandbox } from './run-sandbox.js';
