// Text from users or from DigitalOcean goes into chat messages only through here, so nobody
// can ping @channel, mention people or forge a link with a Droplet or snapshot name. Pure.

/** Escapes &, < and > as Slack's mrkdwn requires. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code that cannot be broken out of with a backtick. */
export function code(text: string): string {
  return `\`${escapeText(text).replace(/`/g, "'")}\``;
}
