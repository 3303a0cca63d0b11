// The baseline the status poller is measured against: what `doctl compute droplet-action reboot
// <id> --wait` does for each of 50 Droplets, simulated here. Each action is POSTed, then read with
// one GET /v2/actions/{id} every 5 s until it is no longer in progress. Counts those GETs and how
// long after DigitalOcean finished each action the waiting loop saw it.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { SECRETS } from '../bot-process.js';
import { percentile } from '../load.js';
import { startSims } from '../sims-client.js';
import { POLLING, STATUS_PATH } from './polling.js';

export const DOCTL = { intervalMs: 5000 };

export interface DoctlResult {
  statusCalls: number;
  callsPerAction: number;
  delayP50: number;
  delayP95: number;
}

export async function measureDoctlBaseline(): Promise<DoctlResult> {
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    durations: { reboot: POLLING.rebootMs },
    droplets: { prefix: 'doctl', count: POLLING.actions },
  });
  const headers = { authorization: `Bearer ${SECRETS.doToken}`, 'content-type': 'application/json' };
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await request(`${sims.doUrl}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = (await res.body.json()) as { action: { id: number; status: string } };
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode}`);
    return json.action;
  };
  try {
    const t0 = Date.now();
    const seen: Array<{ dropletId: number; at: number }> = [];
    await Promise.all(
      sims.droplets.map(async (d) => {
        let action = await call('POST', `/v2/droplets/${d.id}/actions`, { type: 'reboot' });
        while (action.status === 'in-progress') {
          await sleep(DOCTL.intervalMs);
          action = await call('GET', `/v2/actions/${action.id}`);
        }
        seen.push({ dropletId: d.id, at: Date.now() });
      }),
    );
    const snap = await sims.snapshot();
    const calls = snap.doCalls.filter((c) => c.at >= t0);
    const posts = new Map(calls.filter((c) => c.method === 'POST').map((c) => [Number(c.path.split('/')[3]), c.at]));
    const delays = seen.map((s) => s.at - (posts.get(s.dropletId)! + POLLING.rebootMs));
    const statusCalls = calls.filter((c) => c.method === 'GET' && STATUS_PATH.test(c.path)).length;
    return { statusCalls, callsPerAction: statusCalls / POLLING.actions, delayP50: percentile(delays, 50), delayP95: percentile(delays, 95) };
  } finally {
    await sims.stop();
  }
}
