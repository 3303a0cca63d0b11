// Starts a private redis-server on a free port for the whole test run, unless REDIS_URL is set.
// Tests never flush it: each one works under its own random key prefix and removes only those keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../src/sandbox/net.js';
import { spawnRedisServer } from '../../src/sandbox/playground/local-redis.js';

export { freePort };

export default async function setup(project: TestProject) {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    return;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'droplet-bot-redis-'));
  // Nothing on disk: the run's data is thrown away with it.
  const child = await spawnRedisServer(port, dir, ['--save', '', '--appendonly', 'no']);
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
