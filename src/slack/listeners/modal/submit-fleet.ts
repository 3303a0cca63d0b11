// A modal submitted for several Droplets: batch and max_failures are checked by the same
// parseRollout as a typed command, each under its own field; then, with the form closed, the
// fleet is planned exactly as a typed fleet command plans it, and the plan (with Run / Cancel)
// is shown to the asker alone. Nothing is queued here: only Run queues.
import type { webApi } from '@slack/bolt';
import type { ActionType } from '../../../domain/catalogue/index.js';
import { parseRollout, ROLLOUT_KEYS, type Rollout } from '../../../domain/fleet/rollout.js';
import type { Logger } from '../../../log.js';
import { planFleet, type FleetRequest, type PlanFleetDeps } from '../../../requests/plan-fleet.js';
import { PLAN_TTL_SECONDS } from '../../../store/fleets.js';
import { chatOps } from '../../chat-ops.js';
import { fleetPreviewMessage } from '../../renderers/fleet-messages.js';
import { notForFleets, rolloutBlockId } from '../../renderers/modal/fleet-inputs.js';
import { DROPLET_BLOCK } from '../../renderers/modal/ids.js';
import { failureText } from '../failure-text.js';
import type { ModalValues } from './read-values.js';

/** The rollout, or the problems of the fleet's own inputs by block_id. */
export function checkFleetInputs(action: ActionType | undefined, values: ModalValues): { rollout?: Rollout; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const refused = action ? notForFleets(action) : undefined;
  if (refused) errors[DROPLET_BLOCK] = refused.replace(/`/g, '');
  for (const key of ROLLOUT_KEYS) {
    // Each field on its own, so a problem shows under the field it is about; max_failures is
    // checked beside some batch when one was typed (whether it reads is the batch field's own problem).
    const beside = key === 'max_failures' && values.rollout.batch !== undefined ? { batch: '1' } : {};
    const one = parseRollout({ ...beside, ...(values.rollout[key] !== undefined ? { [key]: values.rollout[key] } : {}) });
    if (!one.ok) errors[rolloutBlockId(key)] = `${one.problems.join(' ')}.`;
  }
  const all = parseRollout(values.rollout);
  return { ...(all.ok ? { rollout: all.rollout } : {}), errors };
}

/** A fleet from the form is planned exactly like a typed one. */
export type FleetSubmission = FleetRequest;

/** After the ack: the plan as an ephemeral in the form's channel, or what stopped it. */
export async function showFleetPlan(deps: { plan: PlanFleetDeps; logger: Logger }, client: webApi.WebClient, req: FleetSubmission): Promise<void> {
  const chat = chatOps(client);
  const tell = (text: string) => chat.tell(req.channelId, req.userId, text).catch((err) => deps.logger.warn({ err: (err as Error).message, user: req.userId }, 'could not tell the user'));
  try {
    const planned = await planFleet(deps.plan, req);
    if (planned.kind === 'refused') {
      await tell(planned.message);
      return;
    }
    const preview = fleetPreviewMessage(planned.plan, { denied: planned.denied, expiresInMin: PLAN_TTL_SECONDS / 60, ...(planned.approval ? { approval: planned.approval } : {}) });
    // Its buttons run the fleet in this channel, so it goes here or not at all.
    await chat.showTo(req.channelId, req.userId, preview);
  } catch (err) {
    deps.logger.error({ err: (err as Error).message, user: req.userId }, 'could not plan a fleet from the modal');
    await tell(failureText(err));
  }
}
