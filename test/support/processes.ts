// Runs the compiled bot as real child processes, the way operators run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USERS } from './harness.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function writeRoleMap(): string {
  const dir = mkdtempSync(join(tmpdir(), 'droplet-bot-roles-'));
  const file = join(dir, 'roles.yml');
  writeFileSync(file, `roles:\n  admin: [droplet:update, droplet:create, droplet:admin, image:create]\nmembers:\n  ${USERS.admin}: [admin]\n`);
  return file;
}

export interface BotProcess {
  child: ChildProcess;
  output(): string;
  exited(): Promise<number | null>;
}

export function runBot(mode: 'web' | 'worker' | 'all' | 'sandbox', env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath, ['dist/main.js', ...(mode === 'all' ? [] : [mode])], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited: () => done };
}

/** Polls /healthz until it answers `status`; the answer itself is the definite signal. */
export async function waitForHealthStatus(port: number, status: number, timeoutMs = 15_000): Promise<Response> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    if (res?.status === status) return res;
    if (Date.now() > until) throw new Error(`/healthz did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitForHealth(port: number, timeoutMs = 15_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
