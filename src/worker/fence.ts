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

export interface Fence {
  /** Writes `data` into the job only if `token` still holds its lock; otherwise throws LostJobError. */
  hold<T>(job: Job<T>, data: T, token: string | undefined): Promise<void>;
}
