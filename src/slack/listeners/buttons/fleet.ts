// The fleet buttons: Run / Cancel on the plan (an ephemeral message), Stop, Resume, Retry failed
// and Abort on the fleet's root message, Approve / Deny on its approval request. The button carries only the fleet ID; who may press it
// is checked against the fleet and the role map after the ack.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from '../../../log.js';
import { controlFleet, type FleetControl, type FleetControlDeps } from '../../../requests/fleet-controls.js';
import { FLEET_ABORT, FLEET_APPROVE, FLEET_CANCEL, FLEET_DENY, FLEET_RESUME, FLEET_RETRY, FLEET_RUN, FLEET_STOP } from '../../renderers/fleet-messages.js';
import { fromHomeTab } from '../home.js';
import type { AfterAck } from '../../after-ack.js';

export interface FleetButtonDeps {
  control: FleetControlDeps;
  logger: Logger;
  afterAck: AfterAck;
  /** A click from the Home tab: publish the clicker's tab again, with what became of it at the top. */
  afterHomeClick?: (client: App['client'], userId: string, said: string) => Promise<void>;
}

const BUTTONS: Array<[string, FleetControl]> = [
  [FLEET_RUN, 'run'],
  [FLEET_CANCEL, 'cancel'],
  [FLEET_STOP, 'stop'],
  [FLEET_RESUME, 'resume'],
  [FLEET_RETRY, 'retry'],
  [FLEET_ABORT, 'abort'],
  [FLEET_APPROVE, 'approve'],
  [FLEET_DENY, 'deny'],
];

/** Slack waits 3 s for the ack: the change gets at most this long before it. */
const CHANGE_BEFORE_ACK_MS = 1500;

/** Waits for the change, or for the bound, whichever comes first; never throws (the reply says what failed). */
async function beforeAck(changing: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([changing.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, CHANGE_BEFORE_ACK_MS)))]);
  clearTimeout(timer);
}

export function registerFleetButtons(app: App, deps: FleetButtonDeps): void {
  for (const [actionId, control] of BUTTONS) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, respond, client }) => {
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      // The change (one checked step in Redis) is made before the ack, within a bound: a receiver
      // that dies right after acking has made it, and a worker's sweep carries it on. Only the
      // reply to the clicker comes after the ack.
      const changing = controlFleet(deps.control, { fleetId: action.value ?? '', user, control, nonce: `${control}:${body.trigger_id ?? action.action_ts}`, ...(channel ? { channel } : {}) });
      const fromHome = fromHomeTab(body);
      const say = async (text: string, replacePlan: boolean) => {
        // The Home tab has no thread to answer in: it is published again, saying what happened.
        if (fromHome) await deps.afterHomeClick?.(client, user, text);
        else if (body.response_url) await respond({ response_type: 'ephemeral', replace_original: replacePlan, text });
        else if (channel) await client.chat.postEphemeral({ channel, user, text });
      };
      // Tracked from now on, so a shutdown waits for the change and its reply even if the ack fails.
      const replying = deps.afterAck(async () => {
        try {
          const result = await changing;
          // The plan's message becomes the answer once it is run or cancelled; elsewhere the answer is a note.
          await say(result.message, result.kind === 'done' && (control === 'run' || control === 'cancel'));
        } catch (err) {
          deps.logger.error({ err: (err as Error).message, user, control }, 'fleet button failed');
          const text =
            control === 'run' || control === 'approve'
              ? 'Your click could not be confirmed because the job store is unavailable. The fleet may still start once it answers: watch this channel for its message before you click again (a second click never starts it twice).'
              : 'Your click could not be completed because the job store is unavailable. Nothing changed; try again in a minute.';
          await say(text, false).catch(() => {});
        }
      });
      await beforeAck(changing);
      try {
        await ack();
      } finally {
        await replying;
      }
    });
  }
}
