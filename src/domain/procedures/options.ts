// The keys a request adds to an action to pick or shape a procedure: `timeout=` of a graceful
// stop, `power_on=` after a resize, `snapshot_first=` before a rebuild or restore. They never go
// into DigitalOcean's body. Pure.
import { z } from 'zod';
import type { ActionType } from '../catalogue/index.js';

export const OPTION_KEYS = ['timeout', 'power_on', 'snapshot_first'] as const;
export type OptionKey = (typeof OPTION_KEYS)[number];

/** A graceful stop waits this long for the Droplet to report itself off before power_off. */
export const STOP_TIMEOUT = { defaultMs: 2 * 60_000, minMs: 10_000, maxMs: 30 * 60_000 } as const;

export const requestOptionsSchema = z
  .object({
    /** `/droplet stop`: shutdown, wait for off, then power_off if still on. */
    stop: z.literal(true).optional(),
    timeoutMs: z.number().int().min(STOP_TIMEOUT.minMs).max(STOP_TIMEOUT.maxMs).optional(),
    powerOn: z.boolean().optional(),
    snapshotFirst: z.boolean().optional(),
  })
  .strict();
export type RequestOptions = z.output<typeof requestOptionsSchema>;

/** Which option keys a verb takes, with their hints (usage lines, help, errors). */
const TAKES: Partial<Record<ActionType | 'stop', ReadonlyArray<{ key: OptionKey; hint: string }>>> = {
  stop: [{ key: 'timeout', hint: '<how long to wait for a graceful shutdown, 10s to 30m; default 2m>' }],
  resize: [
    { key: 'power_on', hint: 'true|false; false leaves a running Droplet off after the resize' },
    { key: 'timeout', hint: '<graceful shutdown wait for a running Droplet, 10s to 30m; default 2m>' },
  ],
  rebuild: [{ key: 'snapshot_first', hint: 'true|false; true snapshots the Droplet before it is rebuilt' }],
  restore: [{ key: 'snapshot_first', hint: 'true|false; true snapshots the Droplet before it is restored' }],
};

const TAKEN_BY: Record<OptionKey, string> = {
  timeout: 'only `stop` and `resize` take it',
  power_on: 'only `resize` takes it',
  snapshot_first: 'only `rebuild` and `restore` take it',
};

export function optionsFor(verb: ActionType | 'stop'): ReadonlyArray<{ key: OptionKey; hint: string }> {
  return TAKES[verb] ?? [];
}

export function isOptionKey(key: string): key is OptionKey {
  return (OPTION_KEYS as readonly string[]).includes(key);
}

/** `90s`, `2m`, `2min`, `1h` or plain seconds -> ms, or undefined. */
export function readDuration(raw: string): number | undefined {
  const m = /^(\d+)\s*(s|sec|m|min|h)?$/i.exec(raw.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 's').toLowerCase();
  return Number(m[1]) * (unit.startsWith('h') ? 3_600_000 : unit.startsWith('m') ? 60_000 : 1000);
}

function readBool(key: OptionKey, raw: string): boolean | string {
  const v = raw.toLowerCase();
  return v === 'true' || v === 'false' ? v === 'true' : `${key} must be true or false, not "${raw}"`;
}

export type OptionsResult = { ok: true; options: RequestOptions } | { ok: false; problems: string[] };

/** Reads the option keys typed for `verb`; every problem is reported, each with what to type. */
export function readOptions(verb: ActionType | 'stop', raw: Partial<Record<OptionKey, string>>): OptionsResult {
  const takes = optionsFor(verb).map((o) => o.key);
  const options: RequestOptions = verb === 'stop' ? { stop: true } : {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw) as Array<[OptionKey, string]>) {
    if (!takes.includes(key)) {
      problems.push(`${verb.replace(/_/g, '-')} does not take ${key}=; ${TAKEN_BY[key]}`);
      continue;
    }
    if (key === 'timeout') {
      const ms = readDuration(value);
      if (ms === undefined || ms < STOP_TIMEOUT.minMs || ms > STOP_TIMEOUT.maxMs) problems.push(`timeout must be a duration from 10s to 30m, such as timeout=2m or timeout=90s, not "${value}"`);
      else options.timeoutMs = ms;
      continue;
    }
    const b = readBool(key, value);
    if (typeof b === 'string') problems.push(b);
    else if (key === 'power_on') options.powerOn = b;
    else options.snapshotFirst = b;
  }
  return problems.length ? { ok: false, problems } : { ok: true, options };
}
