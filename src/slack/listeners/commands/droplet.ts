// /droplet: parse, ack at once, then do the slow work (Slack, DigitalOcean, Redis) after the ack.
import type { App } from '@slack/bolt';
import { resolveDroplet } from '../../../digitalocean/resolve-droplet.js';
import type { AuditLog } from '../../../store/audit-log.js';
import { parseCommand } from '../../../domain/command.js';
import type { Logger } from '../../../log.js';
import type { AccessResolver } from '../../../domain/access.js';
import { actionBody } from '../../../domain/catalogue/index.js';
import { resultText, submitAction, type ActionRequest, type SubmitDeps } from '../../../requests/submit-action.js';
import type { Intake } from '../../../store/intake.js';
import type { AfterAck } from '../../after-ack.js';
import { recordInTime } from '../record-request.js';
import { blocksWithBanner } from '../../banner.js';
import { helpMessage, historyMessage, unresolvedMessage } from '../../renderers/messages.js';
import { modalPrefill } from '../modal/prefill.js';
import { REDIS_DOWN, failureText, requestIdFor } from '../failure-text.js';
import { registerModalListeners } from '../modal/interactions.js';
import { openActionModal, type ModalDeps } from '../modal/open.js';
import { registerShortcuts } from '../shortcuts.js';
import { planFleet, type PlanFleetDeps } from '../../../requests/plan-fleet.js';
import { explainRights } from '../../../requests/explain-rights.js';
import { mayRead } from '../../../domain/rights.js';
import { escapeText } from '../../../domain/chat-text.js';
import { slackRenderer } from '../../renderers/index.js';
import { fleetPreviewMessage } from '../../renderers/fleet-messages.js';
import { PLAN_TTL_SECONDS } from '../../../store/fleets.js';

export interface DropletCommandDeps {
  submit: SubmitDeps;
  /** Fleet commands (`tag:`, patterns, lists) are planned here and shown with Run / Cancel. */
  plan: PlanFleetDeps;
  /** Where a request is recorded, before the ack, so nothing acked is ever lost. */
  intake: Pick<Intake, 'receive' | 'withdraw'>;
  /** Shared with the other listeners, so a shutdown can wait for all work started after acks. */
  afterAck: AfterAck;
  access: Pick<AccessResolver, 'of' | 'decide' | 'allowedHere' | 'roleMap'>;
  audit: Pick<AuditLog, 'forDroplet'>;
  logger: Logger;
  /** Whether the job store is reachable right now: a synchronous check, no round trip. */
  redisUp?: () => boolean;
  /** Added to answers given in the ack itself (Web API messages get it on the way out). */
  banner?: string;
  command?: string;
  /** When set, `/droplet` alone, or with required parameters missing, opens the modal. */
  modal?: ModalDeps;
}

export { requestIdFor };

export function registerDropletCommand(app: App, deps: DropletCommandDeps): void {
  const afterAck = deps.afterAck;
  if (deps.modal) {
    registerModalListeners(app, { ...deps.modal, submit: deps.submit, plan: deps.plan, intake: deps.intake, afterAck });
    registerShortcuts(app, { modal: deps.modal, logger: deps.logger });
  }
  app.command(deps.command ?? '/droplet', async ({ command, ack, respond, client }) => {
    const parsed = parseCommand(command.text ?? '');
    const answer = (text: string) =>
      ack({ response_type: 'ephemeral', text, ...(deps.banner ? { blocks: blocksWithBanner(undefined, text, deps.banner) as never } : {}) });
    const prefill = deps.modal && command.trigger_id ? modalPrefill(parsed, command.text ?? '') : undefined;
    if (deps.modal && prefill) {
      await ack();
      try {
        await openActionModal(deps.modal, client, { triggerId: command.trigger_id, userId: command.user_id, channel: command.channel_id, prefill });
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message, user: command.user_id }, 'could not open the modal');
        const fallback = parsed.kind === 'invalid' ? parsed.message : 'Type `/droplet help` for the commands you may run.';
        await respond({ response_type: 'ephemeral', replace_original: false, text: `Could not open the form. ${fallback}` }).catch(() => {});
      }
      return;
    }
    if (parsed.kind === 'invalid') {
      // Pure parsing is fast enough to answer inside the ack itself.
      await answer(parsed.message);
      return;
    }
    if ((parsed.kind === 'action' || parsed.kind === 'fleet') && deps.redisUp && !deps.redisUp()) {
      // Fail fast and say so, rather than ack and lose the request.
      deps.logger.warn({ user: command.user_id, action: parsed.action }, 'Redis is down; refusing a request');
      await answer(REDIS_DOWN);
      return;
    }
    let fresh = true;
    let request: ActionRequest | undefined;
    if (parsed.kind === 'action') {
      request = {
        requestId: requestIdFor(command.trigger_id),
        userId: command.user_id,
        channelId: command.channel_id,
        action: parsed.action,
        target: parsed.target,
        body: actionBody(parsed.action, parsed.params),
        ...(parsed.options ? { options: parsed.options } : {}),
      };
      try {
        // Durable before Slack hears back: from here on a worker finishes it if this process dies.
        fresh = await recordInTime(deps.intake, request, deps.submit.holder, deps.logger);
      } catch (err) {
        deps.logger.warn({ user: command.user_id, action: parsed.action, err: (err as Error).message }, 'could not record a request; refusing it');
        await answer(REDIS_DOWN);
        return;
      }
    }
    await ack();
    if (!fresh) {
      deps.logger.info({ user: command.user_id }, 'request already taken; ignoring the repeat');
      return;
    }
    const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    await afterAck(async () => {
      try {
        if (parsed.kind === 'help' || parsed.kind === 'empty') {
          // Only what the asker may run here: their roles in this channel, within its guardrail.
          await reply(helpMessage(await deps.access.allowedHere(command.user_id, command.channel_id), command.user_id).text);
          return;
        }
        if (parsed.kind === 'can') {
          await reply(await explainRights({ access: deps.access, digitalocean: deps.submit.digitalocean, render: slackRenderer }, { asker: command.user_id, ...(parsed.user ? { user: parsed.user } : {}), action: parsed.action, target: parsed.target, channel: command.channel_id }));
          return;
        }
        if (parsed.kind === 'history') {
          const access = await deps.access.of(command.user_id);
          const where = { channel: command.channel_id };
          // Nobody who may read no history here causes a Droplet lookup.
          if (!mayRead(access.grants, where)) {
            await reply('Reading the history needs the `droplet:update` scope on that Droplet, from this channel, and none of your roles grant it here.');
            return;
          }
          const resolved = await resolveDroplet(deps.submit.digitalocean, parsed.target);
          if (resolved.kind !== 'found') {
            await reply(unresolvedMessage(resolved, 'history').text);
            return;
          }
          if (!mayRead(access.grants, { ...where, droplet: resolved.droplet })) {
            await reply(`Reading the history of *${escapeText(resolved.droplet.name)}* needs the \`droplet:update\` scope on it, from this channel, and your roles do not grant it there.`);
            return;
          }
          const entries = await deps.audit.forDroplet(resolved.droplet.id, 10);
          await reply(historyMessage(resolved.droplet.name, resolved.droplet.id, entries).text);
          return;
        }
        if (parsed.kind === 'fleet') {
          // Only a plan: nothing runs until its requester clicks Run.
          const planned = await planFleet(deps.plan, {
            userId: command.user_id,
            channelId: command.channel_id,
            action: parsed.action,
            body: actionBody(parsed.action, parsed.params),
            selector: parsed.selector,
            rollout: parsed.rollout,
          });
          if (planned.kind === 'refused') {
            await reply(planned.message);
            return;
          }
          const preview = fleetPreviewMessage(planned.plan, { denied: planned.denied, expiresInMin: PLAN_TTL_SECONDS / 60, ...(planned.approval ? { approval: planned.approval } : {}) });
          await respond({ response_type: 'ephemeral', replace_original: false, text: preview.text, blocks: preview.blocks as never });
          return;
        }
        if (!request) throw new Error('an action without its recorded request');
        const result = await submitAction(deps.submit, request);
        const said = resultText(result);
        if (said) await reply(said);
      } catch (err) {
        deps.logger.error({ err: (err as Error).message, user: command.user_id }, 'command failed');
        await reply(failureText(err)).catch(() => {});
      }
    });
  });
}
