// The parent's side of the simulator process: start it, ask it for logs, stop it.
import { setPriority } from 'node:os';
import { spawnNode, waitUntil, BUILD, type Child } from './procs.js';
import type { Progress, SimsConfig, SimsReply } from './sims-protocol.js';

export interface Sims {
  slackUrl: string;
  doUrl: string;
  droplets: Array<{ id: number; name: string }>;
  child: Child;
  snapshot(): Promise<Extract<SimsReply, { type: 'snapshot' }>>;
  progress(): Promise<Progress>;
  /** Resolves once neither simulator has seen a request for `quietMs`. */
  quiet(quietMs?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSims(config: SimsConfig): Promise<Sims> {
  const child = spawnNode(`${BUILD}bench/sims.js`, [], { BENCH_SIMS: JSON.stringify(config) }, 'sims', true);
  // The simulators stand in for Slack's and DigitalOcean's servers, which do not share the
  // bot's CPUs in production: on a small machine they yield to the bot and the load generator.
  try {
    setPriority(child.proc.pid!, 10);
  } catch {
    // Not permitted here: they compete at normal priority, which only makes the bot look slower.
  }
  const pending = new Map<number, (msg: SimsReply) => void>();
  let ready: Extract<SimsReply, { type: 'ready' }> | undefined;
  child.proc.on('message', (msg: SimsReply) => {
    if (msg.type === 'ready') ready = msg;
    else pending.get(msg.id)?.(msg), pending.delete(msg.id);
  });
  const r = await waitUntil('simulators', () => ready, 20_000, child);
  let nextId = 0;
  const ask = <T,>(type: 'snapshot' | 'progress') =>
    new Promise<T>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve as (m: SimsReply) => void);
      child.proc.send({ type, id });
    });
  const sims: Sims = {
    slackUrl: r.slackUrl,
    doUrl: r.doUrl,
    droplets: r.droplets,
    child,
    snapshot: () => ask<Extract<SimsReply, { type: 'snapshot' }>>('snapshot'),
    progress: () => ask<Progress>('progress'),
    async quiet(quietMs = 400, timeoutMs = 60_000) {
      await waitUntil('quiet simulators', async () => {
        const p = await sims.progress();
        return p.now - p.lastActivity >= quietMs ? true : undefined;
      }, timeoutMs, child);
    },
    async stop() {
      if (child.proc.exitCode !== null) return;
      const exited = new Promise((res) => child.proc.once('exit', res));
      child.proc.send({ type: 'stop' });
      const timer = setTimeout(() => child.proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  return sims;
}
