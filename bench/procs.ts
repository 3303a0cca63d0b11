// Child processes for the benchmark: the bot as `node main.js`, the simulators, a bare Bolt app
// and a private redis-server, each on loopback; plus resident memory read from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from 'droplet-bot-sandbox';
import { spawnRedisServer } from 'droplet-bot-sandbox';

/** dist/bench/ — the compiled bench and the compiled src side by side. */
export const BUILD = fileURLToPath(new URL('../', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const WORK = mkdtempSync(join(tmpdir(), 'droplet-bot-bench-'));

export { freePort };

export interface Child {
  proc: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

let children = 0;

/** Spawns `node <script> ...args`; its output goes to a file, so reading it costs us nothing. */
export function spawnNode(script: string, args: string[], env: Record<string, string>, name: string, ipc = false, nodeFlags: string[] = []): Child {
  const logFile = join(WORK, `${name}-${++children}.log`);
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, [...nodeFlags, script, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
  });
  return {
    proc,
    logFile,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      // Jobs still running are not the benchmark's business: do not wait out the grace period.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Waits for `check` to return something, failing with the child's last log lines. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, child?: Child): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.proc.exitCode !== null) throw new Error(`${what}: the process exited (${child.proc.exitCode})\n${tail(child.logFile)}`);
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${child ? `\n${tail(child.logFile)}` : ''}`);
    await sleep(50);
  }
}

/** Resident set size of a process in bytes: VmRSS, the same figure process.memoryUsage().rss reports. */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; reports the peak and the samples. */
export function sampleRss(pid: number, everyMs = 200): { stop(): { peak: number; samples: number[] } } {
  const samples: number[] = [];
  const take = () => {
    const v = rssOf(pid);
    if (v !== undefined) samples.push(v);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peak: Math.max(0, ...samples), samples };
    },
  };
}

/** A private redis-server for the run, unless REDIS_URL points at one. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  const port = await freePort();
  const dir = mkdtempSync(join(WORK, 'redis-'));
  const child = await spawnRedisServer(port, dir, ['--save', '', '--appendonly', 'no']);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function cleanupWork(): void {
  rmSync(WORK, { recursive: true, force: true });
}
