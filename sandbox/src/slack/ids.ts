// Identifiers shaped like Slack's: message timestamps, object IDs, view hashes and trigger IDs.
import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** `prefix` + random upper-case alphanumerics, e.g. `V07ABCD1234` (Slack IDs are 9-11 chars). */
export function slackId(prefix: string, length = 10): string {
  let id = prefix;
  for (let i = 0; i < length; i++) id += ALNUM[randomInt(ALNUM.length)];
  return id;
}

/** A short block_id/action_id like the ones Slack fills in when a block omits them (e.g. `=qXel`). */
export function shortId(): string {
  return randomBytes(3).toString('base64url').slice(0, 4);
}

/**
 * Message timestamps: "seconds.micros" from the clock, strictly increasing, because Slack's `ts`
 * is both a time and the unique key of a message within a channel.
 */
export function createTsSource(now: () => number): () => string {
  let last = 0;
  return () => {
    // A step of 100µs mirrors real ts values (…000100, …000200) when many arrive in one ms.
    const micros = Math.max(Math.floor(now()) * 1000, last + 100);
    last = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  };
}

/** A view hash like `1569362015.55b5e41b`: seconds, then random hex. */
export function viewHash(now: number): string {
  return `${Math.floor(now / 1000)}.${randomBytes(4).toString('hex')}`;
}

/** A trigger ID like `13345224609.738474920.8088930838d88f008e0`. */
export function triggerId(): string {
  return `${randomInt(1e10, 1e11 - 1)}.${randomInt(1e8, 1e9 - 1)}.${randomBytes(16).toString('hex')}`;
}
