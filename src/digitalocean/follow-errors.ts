// How following an action can end without its result: the process is stopping, or DigitalOcean
// keeps reporting the action in progress far longer than it should.

/** The process is shutting down: the job should go back to the queue, not count as failed. */
export class WatcherStoppedError extends Error {
  override name = 'WatcherStoppedError';
  constructor() {
    super('watcher stopped');
  }
}

/** DigitalOcean still reports the action in progress long after it should have ended. */
export class FollowDeadlineError extends Error {
  override name = 'FollowDeadlineError';
  constructor(
    readonly actionId: number,
    readonly elapsedMs: number,
  ) {
    super(`DigitalOcean still reports action ${actionId} as in-progress after ${Math.round(elapsedMs / 60_000)} min; the bot stopped following it. Check the Droplet`);
  }
}
