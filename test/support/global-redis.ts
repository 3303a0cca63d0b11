// Before the whole test run: builds dist/ (the bot and the sandbox package) once, for the tests
// that run real processes, and starts a private redis-server on a free port unless REDIS_URL is
// set. Tests never flush it: each one works under its own random key prefix and removes only
// those keys.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// By path, not by package name: this file runs before anything is built, where Vite's resolver
// does not apply the test run's 'source' condition.
import { freePort } from '../../sandbox/src/net.js';
import { spawnRedisServer } from '../../sandbox/src/playground/local-redis.js';

export { freePort };

const ROOT = new URL('../..', import.meta.url).pathname;

/** What `npm run build` does; once here, so no two test files ever write dist/ at the same time. */
function build(): void {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, [tsc, '-p', 'sandbox/tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  cpSync(join(ROOT, 'sandbox/src/playground/public'), join(ROOT, 'sandbox/dist/playground/public'), { recursive: true });
}

export default async function setup(project: TestProject) {
  build();
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
