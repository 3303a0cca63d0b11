// BullMQ honours `worker.rateLimit(ms)` (followed by `throw Worker.RateLimitError()`) only on a
// queue with a limiter: its move-to-active step checks the limiter's key against `limiter.max`
// and ignores the key when no max is set, so the job would be taken again at once. This limiter
// never limits by itself (no window can reach its max); it is there so that a 429 pauses the queue
// for as long as the other side asked, in every process.
export const MANUAL_RATE_LIMIT = { max: Number.MAX_SAFE_INTEGER, duration: 60_000 } as const;
