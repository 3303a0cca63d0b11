// Says in NOTIFY_CHANNEL that a changed role map file was not valid and the old rules stay. Every
// process sees the same file, so the first one to claim this content in Redis says it, once.
import type { ChatOps } from '../domain/ports.js';
import { escapeText } from '../domain/chat-text.js';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RoleMapSource } from '../roles/role-map-source.js';

export interface RoleMapNoticeDeps {
  /** True for the first process to claim this key (Redis SET NX). */
  claim: (key: string) => Promise<boolean>;
  chat: Pick<ChatOps, 'post'>;
  channel: string;
  logger: Pick<Logger, 'warn'>;
}

export function roleMapNotice(deps: RoleMapNoticeDeps): (err: Error, digest: string) => void {
  return (err, digest) => {
    void (async () => {
      if (!(await deps.claim(`rolemap-invalid:${digest}`))) return;
      const text = `:warning: *The role map file changed, but the new file is not valid*, so every process keeps the rules it had. Fix the file; it is read again within seconds of the next change (or at once on SIGHUP).\n\`\`\`${escapeText(err.message).slice(0, 2500)}\`\`\``;
      await deps.chat.post(deps.channel, { text });
    })().catch((e: Error) => deps.logger.warn({ err: e.message }, 'could not say in the notification channel that the role map is not valid'));
  };
}

/** With a notification channel, says there (once across processes, claimed in Redis) when a changed role map is not valid. */
export function noticeInvalidRoleMap(roles: RoleMapSource, deps: { redis: Redis; prefix: string; chat: Pick<ChatOps, 'post'>; channel: string | undefined; logger: Pick<Logger, 'warn'> }): void {
  const { channel } = deps;
  if (!channel) return;
  const claim = async (key: string) => (await deps.redis.set(`${deps.prefix}:${key}`, '1', 'EX', 3600, 'NX')) === 'OK';
  roles.subscribe({ onInvalid: roleMapNotice({ claim, chat: deps.chat, channel, logger: deps.logger }) });
}
