// response_url: a per-invocation webhook Slack hands to slash commands and interactions. A post
// to it creates an ephemeral (default) or in_channel message, or replaces / deletes the message
// the interaction came from. Slack allows 5 uses within 30 minutes (LIMITS.md).
import { slackId } from './ids.js';
import type { Workspace } from './workspace.js';
import type { JsonObject, MessageContent, ResponseUrlContext, ResponseUrlPost } from './workspace-types.js';

export interface ResponseUrlRecord {
  id: string;
  context: ResponseUrlContext;
  created_at: number;
  uses: number;
}

export interface ResponseUrlLimits {
  maxUses: number;
  ttlMs: number;
}

export interface ResponseUrlReply {
  status: number;
  body: JsonObject;
}

type Original = { kind: 'ephemeral'; ts: string } | { kind: 'message'; channel: string; ts: string };

const flag = (v: unknown) => v === true || v === 'true';
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ResponseUrlStore {
  private readonly records = new Map<string, ResponseUrlRecord>();
  /** Every post received, applied or not, oldest first. */
  readonly posts: ResponseUrlPost[] = [];

  constructor(
    private readonly ws: Workspace,
    private readonly limits: ResponseUrlLimits,
  ) {}

  /** Registers (or re-targets) a response URL id; the HTTP layer turns the id into a URL. */
  register(id: string = slackId('R', 12), context: ResponseUrlContext = {}): ResponseUrlRecord {
    const existing = this.records.get(id);
    if (existing) {
      existing.context = { ...existing.context, ...context };
      return existing;
    }
    const record = { id, context: { ...context }, created_at: this.ws.now(), uses: 0 };
    this.records.set(id, record);
    return record;
  }

  get(id: string): ResponseUrlRecord | undefined {
    return this.records.get(id);
  }

  /** Applies one post. Error codes for spent URLs are the simulator's best guess at Slack's. */
  post(id: string, body: JsonObject): ResponseUrlReply {
    const record = this.records.get(id);
    if (!record) return this.reject(id, body, 404, 'invalid_url');
    if (this.ws.now() - record.created_at > this.limits.ttlMs) return this.reject(id, body, 404, 'expired_url');
    if (record.uses >= this.limits.maxUses) return this.reject(id, body, 404, 'used_url');
    record.uses++;

    const { channel_id, user_id, message_ts } = record.context;
    const content = contentOf(body);
    const original = message_ts ? this.findOriginal(message_ts, channel_id) : undefined;

    if (flag(body.delete_original)) {
      if (!original) return this.reject(id, body, 404, 'message_not_found');
      if (original.kind === 'ephemeral') this.ws.deleteEphemeral(original.ts);
      else this.ws.deleteMessage(original.channel, original.ts);
      return this.accept({ id, body, outcome: 'deleted', ts: original.ts });
    }
    if (flag(body.replace_original) && original) {
      if (original.kind === 'ephemeral') this.ws.updateEphemeral(original.ts, content);
      // Slack swaps the whole message: blocks the new body leaves out are gone, not kept.
      else this.ws.updateMessage(original.channel, original.ts, content, { replace: true });
      return this.accept({ id, body, outcome: 'replaced', ts: original.ts });
    }
    if (!content.text && !content.blocks?.length && !content.attachments?.length) {
      return this.reject(id, body, 400, 'no_text');
    }
    const thread_ts = typeof body.thread_ts === 'string' ? body.thread_ts : record.context.thread_ts;
    const threaded = thread_ts !== undefined ? { thread_ts } : {};
    if (body.response_type === 'in_channel') {
      // Without a channel in the context there is nowhere to show it; the post is still recorded.
      if (!channel_id) return this.accept({ id, body, outcome: 'in_channel' });
      const message = this.ws.postMessage({ channel: channel_id, ...content, ...threaded });
      return this.accept({ id, body, outcome: 'in_channel', ts: message.ts });
    }
    const ephemeral = this.ws.postEphemeral({
      channel: channel_id ?? '',
      user: user_id ?? '',
      ...content,
      ...threaded,
      source: { kind: 'response_url', id },
    });
    return this.accept({ id, body, outcome: 'ephemeral', ts: ephemeral.ts });
  }

  /** The message the interaction came from, if it still exists. */
  private findOriginal(ts: string, channel?: string): Original | undefined {
    if (this.ws.getEphemeral(ts)) return { kind: 'ephemeral', ts };
    return channel && this.ws.getMessage(channel, ts) ? { kind: 'message', channel, ts } : undefined;
  }

  private accept(post: Omit<ResponseUrlPost, 'at'>): ResponseUrlReply {
    this.record({ ...post, at: this.ws.now() });
    return { status: 200, body: { ok: true } };
  }

  private reject(id: string, body: JsonObject, status: number, error: string): ResponseUrlReply {
    this.record({ id, body, at: this.ws.now(), outcome: 'rejected', error });
    return { status, body: { ok: false, error } };
  }

  private record(post: ResponseUrlPost): void {
    this.posts.push(post);
    this.ws.emitChange({ type: 'response_url_posted', post });
  }
}

function contentOf(body: JsonObject): MessageContent {
  const content: MessageContent = {};
  if (typeof body.text === 'string') content.text = body.text;
  if (Array.isArray(body.blocks)) content.blocks = body.blocks.filter(isObject);
  if (Array.isArray(body.attachments)) content.attachments = body.attachments.filter(isObject);
  return content;
}
