// Requests from another workspace, Enterprise Grid org or app are refused before any listener
// runs. An app distributed to several workspaces signs every workspace's requests with the same
// secret, so a valid signature alone does not say the request is for the installation whose
// token and role map this bot holds. Who that is comes from auth.test at start-up.
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../log.js';

export interface Installation {
  teamId: string;
  enterpriseId?: string;
  /** Known when auth.test reports it. */
  appId?: string;
  /** An org-wide install: requests come from many workspaces of one Enterprise Grid org. */
  enterpriseInstall: boolean;
}

export const FOREIGN_WORKSPACE =
  'This bot is installed for another Slack workspace or app, so it does not act on requests from here. Nothing was done.';

interface Origin {
  teamId?: string;
  enterpriseId?: string;
  appId?: string;
}

/** Where a request says it comes from, across commands, interactions, options and events. */
export function originOf(body: Record<string, unknown>): Origin {
  const team = body.team as { id?: string; enterprise_id?: string } | undefined;
  const enterprise = body.enterprise as { id?: string } | undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    teamId: str(body.team_id) ?? str(team?.id) ?? str((body.user as { team_id?: string } | undefined)?.team_id),
    enterpriseId: str(body.enterprise_id) ?? str(enterprise?.id) ?? str(team?.enterprise_id),
    appId: str(body.api_app_id),
  };
}

/** Why a request is not for this installation, or undefined when it is. */
export function foreignReason(origin: Origin, installed: Installation): string | undefined {
  // Shortcut payloads carry no api_app_id; the signature (one secret per app) already says whose they are.
  if (installed.appId && origin.appId !== undefined && origin.appId !== installed.appId) return `app ${origin.appId}`;
  if (installed.enterpriseInstall) {
    if (origin.enterpriseId !== installed.enterpriseId) return `enterprise ${origin.enterpriseId ?? 'none'}`;
    return undefined;
  }
  if (origin.teamId !== installed.teamId) return `workspace ${origin.teamId ?? 'unknown'}`;
  if (installed.enterpriseId && origin.enterpriseId && origin.enterpriseId !== installed.enterpriseId) return `enterprise ${origin.enterpriseId}`;
  return undefined;
}

/** A global middleware; `installed()` is undefined until start-up has read it, and then nothing passes. */
export function workspaceGuard(installed: () => Installation | undefined, logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as unknown as Record<string, unknown>;
    const who = installed();
    const reason = who ? foreignReason(originOf(body), who) : 'the installation is not known yet';
    if (!reason) {
      await args.next();
      return;
    }
    logger.warn({ reason }, 'refused a request from another workspace or app');
    const ack = (args as { ack?: (answer?: unknown) => Promise<void> }).ack;
    if (!ack) return;
    // Slash commands get the reason in their ack; buttons, forms and option lists get an empty answer.
    if (body.command !== undefined) await ack({ response_type: 'ephemeral', text: FOREIGN_WORKSPACE });
    else if (body.type === 'block_suggestion') await ack({ options: [] });
    else await ack();
  };
}
