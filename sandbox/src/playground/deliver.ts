// Slack's side of one request to the app: sign the body, POST it to /slack/events, wait at most
// 3 seconds, and name a failure the way Slack's client does (`operation_timeout`,
// `dispatch_failed`), so the playground shows what a real workspace would show.
import { signSlackRequest } from '../slack/sign.js';

export type Delivery =
  | { ok: true; status: number; text: string; json?: unknown; ms: number }
  | { ok: false; error: 'operation_timeout' | 'dispatch_failed' | 'http_error'; status?: number; detail: string; ms: number };

/** Slack gives up on an app after 3000 ms. */
export const SLACK_TIMEOUT_MS = 3000;

/** Interactions and slash commands are forms; Events API callbacks (app_home_opened) are JSON. */
export type BodyType = 'application/x-www-form-urlencoded' | 'application/json';

export async function deliver(eventsUrl: string, signingSecret: string, body: string, timeoutMs = SLACK_TIMEOUT_MS, contentType: BodyType = 'application/x-www-form-urlencoded'): Promise<Delivery> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let res: Response;
  try {
    res = await fetch(eventsUrl, {
      method: 'POST',
      // Exactly this content type: Bolt compares it by string equality.
      headers: { 'content-type': contentType, ...signSlackRequest(signingSecret, body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return {
      ok: false,
      error: timedOut ? 'operation_timeout' : 'dispatch_failed',
      detail: timedOut ? `the app did not answer within ${timeoutMs} ms` : `the app could not be reached (${(err as Error).message})`,
      ms: ms(),
    };
  }
  const text = await res.text();
  if (res.status !== 200) {
    return { ok: false, error: 'http_error', status: res.status, detail: `the app answered HTTP ${res.status}`, ms: ms() };
  }
  let json: unknown;
  try {
    json = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { ok: true, status: res.status, text, ...(json !== undefined ? { json } : {}), ms: ms() };
}
