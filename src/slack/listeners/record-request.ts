// Recording a request before its ack, within a bound: Slack gives up on an ack after 3 s.
import type { Logger } from '../../log.js';
import type { ActionRequest } from '../../requests/submit-action.js';
import type { Intake } from '../../store/intake.js';

/** Slack waits 3 s for the ack; a Redis that has not recorded the request well before then counts as down. */
const RECORD_WITHIN_MS = 1500;

/**
 * Records the request, or throws when Redis does not answer in time. A record that lands after
 * the user was told "nothing was done" is withdrawn as soon as it does, so it never runs.
 */
export async function recordInTime(intake: Pick<Intake, 'receive' | 'withdraw'>, request: ActionRequest, holder: string, logger: Logger): Promise<boolean> {
  const recording = intake.receive(request, holder);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), RECORD_WITHIN_MS);
  });
  try {
    const first = await Promise.race([recording, late]);
    if (first !== 'late') return first;
  } finally {
    clearTimeout(timer);
  }
  void recording.then(
    (made) => made && intake.withdraw(request.requestId, 'received', holder),
    () => false,
  ).catch((err) => logger.warn({ requestId: request.requestId, err: (err as Error).message }, 'could not withdraw a request recorded too late'));
  throw new Error('Redis did not record the request in time (connection too slow)');
}
