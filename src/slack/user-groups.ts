// Who is in a Slack user group, for the role map's group entries: read with usergroups.users.list.
import type { webApi } from '@slack/bolt';
import type { GroupDirectory } from '../domain/access.js';

export function slackGroupDirectory(client: webApi.WebClient): GroupDirectory {
  return { members: async (group) => ((await client.usergroups.users.list({ usergroup: group })).users ?? []) as string[] };
}
