// Turns a Web API request into arguments the way Slack does: form or JSON bodies (query string
// too, since Slack accepts GET), the token from `Authorization: Bearer` or, for form posts, the
// `token` field, and structured arguments that form posts carry as JSON strings.
import type { JsonObject } from './workspace-types.js';

/** Arguments Slack documents as "a JSON-encoded string" when sent in a form body. */
const JSON_STRING_ARGS = ['blocks', 'attachments', 'view', 'metadata'];

export type ParsedRequest = { ok: true; args: JsonObject; token?: string } | { ok: false; error: string };

export function parseApiRequest(req: {
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
  query: URLSearchParams;
}): ParsedRequest {
  const args: JsonObject = Object.fromEntries(req.query);
  const type = (req.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const bearer = /^Bearer\s+(.+)$/i.exec(req.authorization ?? '')?.[1]?.trim();

  if (type === 'application/json') {
    if (req.body.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(req.body);
      } catch {
        return { ok: false, error: 'invalid_json' };
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'invalid_json' };
      Object.assign(args, parsed);
    }
    // Slack reads the token of a JSON post only from the Authorization header.
    delete args.token;
    return bearer !== undefined ? { ok: true, args, token: bearer } : { ok: true, args };
  }

  if (type === '' || type === 'application/x-www-form-urlencoded') {
    Object.assign(args, Object.fromEntries(new URLSearchParams(req.body)));
    for (const key of JSON_STRING_ARGS) args[key] = decodeJsonString(args[key]);
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;
    return token !== undefined ? { ok: true, args, token } : { ok: true, args };
  }

  // multipart/form-data is only used for file uploads, which the bot does not make.
  return { ok: false, error: 'invalid_post_type' };
}

/** Leaves anything that is not valid JSON as it was, so the method can report its own error code. */
function decodeJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
