// Approve / Deny buttons on an approval request. The button carries only the approval ID; who
// may decide is checked here against the role map as it is now, and anyone refused gets a
// message only they can see, saying why, while nothing changes.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { decideApproval, type DecideDeps } from '../../../requests/approval-decisions.js';
import type { Logger } from '../../../log.js';
import { APPROVE_ACTION_ID, DENY_ACTION_ID } from '../../renderers/approval-messages.js';
import { fromHomeTab } from '../home.js';
import type { AfterAck } from '../../after-ack.js';

export interface ApprovalActionDeps {
  decide: DecideDeps;
  logger: Logger;
  /** Shared with the other listeners, so a shutdown waits for a decision in progress. */
  afterAck: AfterAck;
  /** A click from the Home tab: publish the clicker's tab again, saying why when they were refused. */
  afterHomeClick?: (client: App['client'], userId: string, refused?: string) => Promise<void>;
}

export function registerApprovalActions(app: App, deps: ApprovalActionDeps): void {
  const buttons: Array<[string, 'approve' | 'deny']> = [
    [APPROVE_ACTION_ID, 'approve'],
    [DENY_ACTION_ID, 'deny'],
  ];
  for (const [actionId, decision] of buttons) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, respond, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const explain = async (text: string) => {
        if (respond && body.response_url) await respond({ response_type: 'ephemeral', replace_original: false, text });
        else if (channel) await client.chat.postEphemeral({ channel, user, text });
      };
      const messageTs = body.message?.ts ?? body.container?.message_ts;
      const fromHome = fromHomeTab(body);
      await deps.afterAck(async () => {
      let refused: string | undefined;
      try {
        const result = await decideApproval(deps.decide, {
          approvalId: action.value ?? '',
          user,
          decision,
          ...(channel && messageTs ? { location: { channel, ts: String(messageTs) } } : {}),
        });
        if (result.kind === 'refused') {
          refused = result.message;
          if (!fromHome) await explain(result.message);
        }
      } catch (err) {
        deps.logger.error({ err: (err as Error).message, user, decision }, 'approval click failed');
        const text =
          decision === 'approve'
            ? 'Your approval could not be completed because the job store or Slack is unavailable. Check the request message before trying again.'
            : 'Your decision could not be recorded because the job store is unavailable. Nothing was done; try again in a minute.';
        if (fromHome) refused = text;
        else await explain(text).catch(() => {});
      }
      // The Home tab has no thread to answer in: it is published again, without the request, or saying why not.
      if (fromHome) await deps.afterHomeClick?.(client, user, refused).catch((err) => deps.logger.warn({ err: (err as Error).message, user }, 'could not refresh the Home tab'));
      });
    });
  }
}
