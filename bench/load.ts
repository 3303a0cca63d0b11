// Fires signed slash commands at a receiver with a fixed number in flight, timing each one from
// sending the request to the last byte of the ack (what Slack's 3-second limit measures). An
// undici pool keeps the load generator's own cost low and equal for every receiver; bodies are
// built and signed before the clock starts.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { slashCommandBody } from 'droplet-bot-sandbox';
import { signSlackRequest } from 'droplet-bot-sandbox';
import { BENCH_CHANNEL, BENCH_USER, SECRETS } from './bot-process.js';

export interface LoadResult {
  latencies: number[];
  failures: number;
  wallMs: number;
}

export function commandBody(text: string, responseUrl: string): string {
  return slashCommandBody({ text, user_id: BENCH_USER, channel_id: BENCH_CHANNEL, response_url: responseUrl });
}

/** Slash commands and interactions are forms; Events API callbacks (app_home_opened) are JSON. */
export async function fire(eventsUrl: string, bodies: string[], concurrency: number, contentType = 'application/x-www-form-urlencoded'): Promise<LoadResult> {
  const url = new URL(eventsUrl);
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 });
  const signed = bodies.map((body) => ({
    body,
    headers: { 'content-type': contentType, ...signSlackRequest(SECRETS.signingSecret, body) } as Record<string, string>,
  }));
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < signed.length) {
      const { body, headers } = signed[next++]!;
      const t = performance.now();
      try {
        const res = await pool.request({ method: 'POST', path: url.pathname, headers, body });
        await res.body.text();
        if (res.statusCode === 200) latencies.push(performance.now() - t);
        else failures++;
      } catch {
        failures++;
      }
    }
  };
  await Promise.all([...Array(concurrency)].map(lane));
  const wallMs = performance.now() - started;
  await pool.close();
  return { latencies, failures, wallMs };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
