// What the rest of the bot knows about actions, all derived from the entries: names, scopes,
// usage lines, validation of key=value input, the API body and its schema. Pure.
import { z } from 'zod';
import { CATALOGUE, SCOPES, type ActionDecl, type ActionType, type LooseBody, type Scope } from './entries.js';
import { BACKUP_HOURS, BACKUP_PLANS, PARAM_KEYS, WEEKDAYS, type ParamDecl, type ParamKey } from './params.js';

export { BACKUP_HOURS, BACKUP_PLANS, CATALOGUE, PARAM_KEYS, SCOPES, WEEKDAYS };
export type { ActionDecl, ActionType, ParamKey, Scope };
export type { ChoiceSource, ModalInput, ParamDecl } from './params.js';

export const ACTION_TYPES = Object.keys(CATALOGUE) as [ActionType, ...ActionType[]];

/** What an action's typed parameters look like once validated: the API body minus `type`. */
export interface BackupPolicy {
  plan?: (typeof BACKUP_PLANS)[number];
  weekday?: (typeof WEEKDAYS)[number];
  hour?: (typeof BACKUP_HOURS)[number];
}
export interface ActionParams {
  backup_policy?: BackupPolicy;
  image?: number | string;
  size?: string;
  disk?: boolean;
  name?: string;
  kernel?: number;
}
export type ActionBody = { type: ActionType } & ActionParams;

/** One action's entry. */
export function actionEntry(type: ActionType): ActionDecl {
  return CATALOGUE[type];
}

/** All scopes an action needs: droplet:update plus its own. */
export function requiredScopes(type: ActionType): Scope[] {
  return ['droplet:update', ...actionEntry(type).scopes];
}

export function isActionType(value: string): value is ActionType {
  return Object.hasOwn(CATALOGUE, value);
}

/** Accepts the API spelling and hyphenated or upper-case variants: power-off, POWER_OFF. */
export function normalizeActionName(raw: string): ActionType | undefined {
  const name = raw.trim().toLowerCase().replace(/-/g, '_');
  return isActionType(name) ? name : undefined;
}

/** The spelling shown to people: hyphens read better in a slash command. */
export function displayName(type: ActionType): string {
  return type.replace(/_/g, '-');
}

export function usageLine(type: ActionType): string {
  const params = actionEntry(type).params.map(({ param, required }) => (required ? `${param.key}=${param.hint}` : `[${param.key}=${param.hint}]`));
  return ['/droplet', displayName(type), '<droplet>', ...params].join(' ');
}

/** Whether a body destroys data or cannot be undone. */
export function isDestructive(body: ActionBody): boolean {
  return actionEntry(body.type).destructive(body as LooseBody);
}

export interface ParamProblem {
  key: ParamKey | undefined;
  message: string;
}

export type ParamsResult = { ok: true; params: ActionParams } | { ok: false; problems: ParamProblem[] };

/**
 * Checks raw key=value strings against what the API accepts for this action type and turns
 * them into the request body's fields. Every problem is reported, not just the first.
 */
export function validateParams(type: ActionType, raw: Partial<Record<ParamKey, string>>): ParamsResult {
  const entry = actionEntry(type);
  const refuses: Partial<Record<ParamKey, string>> = entry.refuses ?? {};
  const takes = new Map(entry.params.map((use) => [use.param.key, use]));
  const problems: ParamProblem[] = [];
  for (const key of Object.keys(raw) as ParamKey[]) {
    if (!takes.has(key) && refuses[key] === undefined) {
      const list = entry.params.length ? `it takes ${entry.params.map((u) => u.param.key).join(', ')}` : 'it takes no parameters';
      problems.push({ key, message: `${displayName(type)} does not take ${key}=; ${list}` });
    }
  }
  for (const { param, required } of entry.params) {
    if (required && (raw[param.key] === undefined || raw[param.key] === '')) problems.push({ key: param.key, message: `${param.key} is required: ${param.key}=${param.hint}` });
  }
  if (problems.length) return { ok: false, problems };

  const body: Record<string, unknown> = {};
  for (const { param } of entry.params) {
    const text = raw[param.key];
    if (text === undefined) continue;
    const read = param.read(text);
    if (read.ok) place(body, param, read.value);
    else problems.push({ key: param.key, message: read.message });
  }
  for (const [key, why] of Object.entries(refuses) as Array<[ParamKey, string]>) if (raw[key] !== undefined) problems.push({ key, message: why });
  problems.push(...(entry.check?.({ type, ...body }) ?? []));
  return problems.length ? { ok: false, problems } : { ok: true, params: body as ActionParams };
}

function place(body: Record<string, unknown>, param: ParamDecl, value: unknown): void {
  const [first, second] = param.path;
  if (second === undefined) body[first] = value;
  else body[first] = { ...((body[first] as Record<string, unknown> | undefined) ?? {}), [second]: value };
}

/** The request body for POST /v2/droplets/{id}/actions. */
export function actionBody(type: ActionType, params: ActionParams): ActionBody {
  return { type, ...params };
}

/** One action's body schema: exactly the fields its parameters fill, nothing else. */
function bodySchema(type: ActionType): z.ZodObject {
  const top: Record<string, z.ZodType> = { type: z.literal(type) };
  const nested = new Map<string, { shape: Record<string, z.ZodType>; required: boolean }>();
  for (const { param, required } of actionEntry(type).params) {
    const [first, second] = param.path;
    if (second === undefined) {
      top[first] = required ? param.schema : param.schema.optional();
      continue;
    }
    const group = nested.get(first) ?? { shape: {}, required: false };
    group.shape[second] = required ? param.schema : param.schema.optional();
    group.required ||= required;
    nested.set(first, group);
  }
  for (const [name, group] of nested) {
    const object = z.object(group.shape).strict();
    top[name] = group.required ? object : object.optional();
  }
  return z.object(top).strict();
}

/**
 * The body of every action, a union on `type`: a body with a field its type does not take is
 * refused. Used where bodies cross a process boundary (jobs in Redis).
 */
export const actionBodySchema = z.discriminatedUnion(
  'type',
  ACTION_TYPES.map((t) => bodySchema(t)) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<ActionBody>;
