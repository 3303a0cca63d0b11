// roles.yml -> a validated role map. A bad file stops the bot with a message naming the field.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { roleMapSchema, type RoleMap } from '../domain/policy.js';

export class RoleMapError extends Error {
  override name = 'RoleMapError';
}

/** Validates an already-parsed document; `source` names it in error messages. */
export function parseRoleMap(doc: unknown, source: string): RoleMap {
  const parsed = roleMapSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    // A short-form role (a list of scopes) is read as { scopes: [...] }: name the field as written.
    const path = issue.path.map(String);
    const shortForm = path[0] === 'roles' && path[2] === 'scopes' && Array.isArray((doc as { roles?: Record<string, unknown> })?.roles?.[path[1]!]);
    if (shortForm) path.splice(2, 1);
    const field = path.length ? path.join('.') : '(top level)';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.code === 'invalid_key'
          ? (issue.issues[0]?.message ?? issue.message)
          : issue.message;
    return `  - ${field}: ${message}`;
  });
  throw new RoleMapError(`Role map ${source} is not valid:\n${lines.join('\n')}`);
}

export function loadRoleMap(path: string): RoleMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(path, err);
  }
  return parseRoleMapText(text, path);
}

/** The text of a role map file -> a validated role map; `path` names it in error messages. */
export function parseRoleMapText(text: string, path: string): RoleMap {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new RoleMapError(`Role map ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return parseRoleMap(doc, path);
}

/** Why the file could not be read, with what to do. */
export function unreadable(path: string, err: unknown): RoleMapError {
  const code = (err as NodeJS.ErrnoException).code;
  return new RoleMapError(
    code === 'ENOENT'
      ? `Role map ${path} does not exist. Copy roles.example.yml to ${path} and edit it, point ROLE_MAP at your file, or give the role map itself in ROLE_MAP_YAML.`
      : `Role map ${path} cannot be read (${code ?? 'error'}).`,
  );
}
