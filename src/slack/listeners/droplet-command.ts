// /droplet: parse, ack at once, then do the slow work (Slack, DigitalOcean, Redis) after the ack.
import { createHash, randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { allowedActions } from '../../domain/policy.js';
import { resolveDroplet } from '../../digitalocean/resolve-droplet.js';
import type { AuditLog } from '../../store/audit-log.js';
import { parseCommand } from '../../domain/command.js';
import type { Logger } from '../../log.js';
import type { AccessResolver } from '../../roles/access.js';
import { submitAction, type SubmitDeps } from '../../requests/submit-action.js';
import { blocksWithBanner } from '../banner.js';
import { helpMessage, historyMessage, unresolvedMessage } from '../messages.js';

export interface DropletCommandDeps {
  submit: SubmitDeps;
  access: Pick<AccessResolver, 'of'>;
  audit: Pick<AuditLog, 'forDroplet'>;
  logger: Logger;
  /** Whether the job store is reachable right now: a synchronous check, no round trip. */
  redisUp?: () => boolean;
  /** Added to answers given in the ack itself (Web API messages get it on the way out). */
  banner?: string;
  command?: string;
}

const REDIS_DOWN =
  'Your request could not be queued: the job store (Redis) is unavailable. Nothing was done; try again in a minute.';

/** Slack redelivers a command with the same trigger_id; the request ID follows from it. */
export function requestIdFor(triggerId: string | undefined): string {
  return triggerId ? createHash('sha256').update(triggerId).digest('hex').slice(0, 24) : randomUUID();
}

export function registerDropletCommand(app: App, deps: DropletCommandDeps): void {
  app.command(deps.command ?? '/droplet', async ({ command, ack, respond }) => {
    const parsed = parseCommand(command.text ?? '');
    const answer = (text: string) =>
      ack({ response_type: 'ephemeral', text, ...(deps.banner ? { blocks: blocksWithBanner(undefined, text, deps.banner) as never } : {}) });
    if (parsed.kind === 'invalid') {
      // Pure parsing is fast enough to answer inside the ack itself.
      await answer(parsed.message);
      return;
    }
    if (parsed.kind === 'action' && deps.redisUp && !deps.redisUp()) {
      // Fail fast and say so, rather than ack and lose the request.
      deps.logger.warn({ user: command.user_id, action: parsed.action }, 'Redis is down; refusing a request');
      await answer(REDIS_DOWN);
      return;
    }
    await ack();
    const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    try {
      if (parsed.kind === 'help' || parsed.kind === 'empty') {
        const access = await deps.access.of(command.user_id);
        await reply(helpMessage(allowedActions(access.scopes), command.user_id).text);
        return;
      }
      if (parsed.kind === 'history') {
        const access = await deps.access.of(command.user_id);
        if (!access.scopes.has('droplet:update')) {
          await reply('Reading the history needs the `droplet:update` scope, which none of your roles grant.');
          return;
        }
        const resolved = await resolveDroplet(deps.submit.digitalocean, parsed.target);
        if (resolved.kind !== 'found') {
          await reply(unresolvedMessage(resolved, 'history').text);
          return;
        }
        const entries = await deps.audit.forDroplet(resolved.droplet.id, 10);
        await reply(historyMessage(resolved.droplet.name, resolved.droplet.id, entries).text);
        return;
      }
      const result = await submitAction(deps.submit, {
        requestId: requestIdFor(command.trigger_id),
        userId: command.user_id,
        channelId: command.channel_id,
        action: parsed.action,
        target: parsed.target,
        params: parsed.params,
      });
      if (result.kind === 'rejected') await reply(result.message);
    } catch (err) {
      deps.logger.error({ err: (err as Error).message, user: command.user_id }, 'command failed');
      await reply(failureText(err)).catch(() => {});
    }
  });
}

/** What went wrong, in words an operator can act on; never a stack trace or a secret. */
function failureText(err: unknown): string {
  const e = err as { name?: string; code?: string; data?: { error?: string }; message?: string };
  if (e.data?.error === 'not_in_channel' || e.data?.error === 'channel_not_found') {
    return 'I cannot post in this channel. Invite me with `/invite @droplet-bot` and try again. Nothing was done.';
  }
  if (e.name === 'DigitalOceanError' || e.name === 'DigitalOceanNetworkError') {
    return `DigitalOcean did not answer as expected (${e.message}). Nothing was queued; try again in a minute.`;
  }
  if (/redis|connection|ECONNREFUSED|Stream isn't writeable|enableOfflineQueue/i.test(e.message ?? '')) return REDIS_DOWN;
  return 'Something went wrong and your request was not queued. Nothing was done; try again, and tell the bot\'s operators if it keeps happening.';
}
