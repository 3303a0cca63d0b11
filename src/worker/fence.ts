// The worker use case's guard before a POST, as a port: the Redis implementation is
// queue/job-fence.ts (the job's BullMQ lock token, checked in the step that marks "about to POST").
import type { Job } from 'bullmq';

/** Thrown when the job now belongs to another worker (or to none): this run must stop in silence. */
export class LostJobError extends Error {
  override name = 'LostJobError';
  constructor(readonly jobId: string) {
    super(`job ${jobId} is no longer held by this worker; dropped without calling DigitalOcean`);
  }
}

/** Thrown when the job's gate was closed before the POST (its fleet is being aborted): nothing was sent. */
export class GateClosedError extends Error {
  override name = 'GateClosedError';
  constructor(readonly state: string) {
    super(`the request's gate is closed (${state}); not sent`);
  }
}

/** A field of a Redis hash that must not hold one of `closed` when the POST goes out. */
export interface Gate {
  key: string;
  field: string;
  closed: readonly string[];
}

export interface Fence {
  /**
   * Writes `data` into the job only if `token` still holds its lock (else LostJobError) and, with
   * a gate, only while the gate is open (else GateClosedError), in one step.
   */
  hold<T>(job: Job<T>, data: T, token: string | undefined, gate?: Gate): Promise<void>;
}
