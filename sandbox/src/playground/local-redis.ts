// Redis for the sandbox, so `npm start` needs nothing set up: REDIS_URL when given; else a Redis
// already answering on the default port; else a private redis-server from PATH, with its data in
// a local folder, that lives and dies with this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { freePort } from '../net.js';

export interface LocalRedis {
  url: string;
  /** Where it came from, for the start-up message. */
  source: 'REDIS_URL' | 'default port' | 'private redis-server';
  /** Stops the private redis-server, if we started one. */
  stop(): Promise<void>;
}

export interface LocalRedisOptions {
  env: Record<string, string | undefined>;
  /** Folder for a private server's data (default ./.data/redis). */
  dataDir?: string;
  /** The port a developer's own Redis usually listens on (default 6379). */
  defaultPort?: number;
  /** The redis-server executable (default: found on PATH). */
  command?: string;
}

export const INSTALL_HINT = [
  'The sandbox needs Redis, and none was found: REDIS_URL is unset, nothing answers on 127.0.0.1:6379,',
  'and there is no redis-server on PATH to start a private one. Install Redis and run `npm start` again:',
  '  Debian/Ubuntu:  sudo apt-get install redis-server',
  '  macOS:          brew install redis',
  '  Docker:         docker run -d -p 6379:6379 redis:7',
  'or point REDIS_URL at a Redis you already have (redis://host:port).',
].join('\n');

export class LocalRedisError extends Error {
  override name = 'LocalRedisError';
}

export async function findOrStartRedis(opts: LocalRedisOptions): Promise<LocalRedis> {
  const nothing = async () => {};
  const fromEnv = opts.env.REDIS_URL?.trim();
  if (fromEnv) return { url: fromEnv, source: 'REDIS_URL', stop: nothing };

  const defaultPort = opts.defaultPort ?? 6379;
  const answer = await ping('127.0.0.1', defaultPort);
  if (answer === 'pong') return { url: `redis://127.0.0.1:${defaultPort}`, source: 'default port', stop: nothing };
  if (answer === 'auth') {
    throw new LocalRedisError(
      `A Redis on 127.0.0.1:${defaultPort} asks for a password. Set REDIS_URL=redis://:PASSWORD@127.0.0.1:${defaultPort} and run again.`,
    );
  }

  const dir = resolve(opts.dataDir ?? '.data/redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  // Snapshots go to `dir` on Redis' default save schedule; no AOF.
  const child = await spawnRedisServer(port, dir, ['--dbfilename', 'sandbox.rdb', '--appendonly', 'no'], opts.command);
  // If this process dies without stop(), do not leave a stray server behind.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    source: 'private redis-server',
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** 'pong' for a Redis, 'auth' for one that wants a password, 'none' for silence or something else. */
export function ping(host: string, port: number, timeoutMs = 500): Promise<'pong' | 'auth' | 'none'> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (result: 'pong' | 'auth' | 'none') => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(timeoutMs, () => finish('none'));
    socket.on('error', () => finish('none'));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n')) return;
      finish(reply.startsWith('+PONG') ? 'pong' : reply.startsWith('-NOAUTH') ? 'auth' : 'none');
    });
  });
}

/**
 * Starts redis-server on 127.0.0.1:`port` with its files in `dir` and resolves once it accepts
 * connections. `extraArgs` choose persistence; the tests and the benchmark start theirs here too.
 */
export async function spawnRedisServer(port: number, dir: string, extraArgs: string[], command = 'redis-server'): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...extraArgs];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new LocalRedisError(`redis-server did not become ready within 10 s:\n${out.slice(-2000)}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining so a chatty server never blocks on a full pipe
        ok(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(new LocalRedisError(err.code === 'ENOENT' ? INSTALL_HINT : `redis-server could not start: ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new LocalRedisError(`redis-server exited with code ${code} before it was ready:\n${out.slice(-2000)}`));
    });
  });
}
