// The bot token scopes the code needs, and the Web API methods that need them. manifest.yml
// must ask for exactly these; a test keeps the two in step.
export const BOT_SCOPES = {
  commands: ['/droplet'],
  'chat:write': ['chat.postMessage', 'chat.update'],
  'chat:write.public': ['chat.postMessage to public channels the bot is not in'],
  'usergroups:read': ['usergroups.users.list'],
} as const;
