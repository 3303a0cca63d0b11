// Who is in a Slack user group, for the role map's group entries: read with usergroups.users.list.
import type { webApi } from '@slack/bolt';
import { AccessResolver, type GroupDirectory } from '../domain/access.js';
import type { RoleMap } from '../domain/policy.js';
import type { Logger } from '../log.js';

export function slackGroupDirectory(client: webApi.WebClient): GroupDirectory {
  return { members: async (group) => ((await client.usergroups.users.list({ usergroup: group })).users ?? []) as string[] };
}

/** Rights as every process reads them: the role map as it is now, user groups from Slack (cached a minute). */
export function slackAccess(roles: () => RoleMap, client: webApi.WebClient, logger: Pick<Logger, 'warn'>): AccessResolver {
  return new AccessResolver(roles, slackGroupDirectory(client), 60_000, (group, err) =>
    logger.warn({ group, err: err.message }, 'could not read a user group from Slack; its members get only their direct rights for now'),
  );
}
