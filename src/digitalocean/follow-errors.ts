// How following an action ends without its result: DigitalOcean keeps reporting the action in
// progress far longer than it should.

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
