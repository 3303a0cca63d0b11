// The 16 Droplet action types of POST /v2/droplets/{droplet_id}/actions, their parameters
// exactly as DigitalOcean's API defines them, and the scopes each one needs.
import { z } from 'zod';

export const SCOPES = ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'] as const;
export type Scope = (typeof SCOPES)[number];

export const ACTION_TYPES = [
  'enable_backups',
  'disable_backups',
  'change_backup_policy',
  'reboot',
  'power_cycle',
  'shutdown',
  'power_off',
  'power_on',
  'restore',
  'password_reset',
  'resize',
  'rebuild',
  'rename',
  'change_kernel',
  'enable_ipv6',
  'snapshot',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** Every parameter key the command grammar knows, across all actions. */
export const PARAM_KEYS = [
  'size',
  'disk',
  'image',
  'name',
  'kernel',
  'plan',
  'weekday',
  'hour',
  'window_length_hours',
  'retention_period_days',
] as const;
export type ParamKey = (typeof PARAM_KEYS)[number];

export const BACKUP_PLANS = ['daily', 'weekly'] as const;
export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export const BACKUP_HOURS = [0, 4, 8, 12, 16, 20] as const;

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

export interface ParamSpec {
  key: ParamKey;
  required: boolean;
  /** How to write the value, shown in usage lines and errors. */
  hint: string;
}

export interface ActionSpec {
  type: ActionType;
  summary: string;
  /** Scopes beyond droplet:update, which every action needs. */
  extraScopes: Scope[];
  params: ParamSpec[];
  /** Destroys data or cannot be undone: confirmations and approvals treat these with care. */
  destructive: boolean;
  /** Typical run time in seconds, used to pace status polling. */
  typicalSeconds: number;
}

const BACKUP_PARAMS = (required: boolean): ParamSpec[] => [
  { key: 'plan', required, hint: 'daily|weekly' },
  { key: 'weekday', required: false, hint: 'SUN..SAT, weekly plans only' },
  { key: 'hour', required: false, hint: '0|4|8|12|16|20 (UTC)' },
];

const SPECS: ActionSpec[] = [
  { type: 'enable_backups', summary: 'Turn on backups, optionally with a backup policy', extraScopes: [], params: BACKUP_PARAMS(false), destructive: false, typicalSeconds: 5 },
  { type: 'disable_backups', summary: 'Turn off backups', extraScopes: [], params: [], destructive: false, typicalSeconds: 5 },
  { type: 'change_backup_policy', summary: 'Change when backups run', extraScopes: [], params: BACKUP_PARAMS(true), destructive: false, typicalSeconds: 5 },
  { type: 'reboot', summary: 'Reboot gracefully', extraScopes: [], params: [], destructive: false, typicalSeconds: 30 },
  { type: 'power_cycle', summary: 'Power off hard and on again', extraScopes: [], params: [], destructive: false, typicalSeconds: 20 },
  { type: 'shutdown', summary: 'Shut down gracefully', extraScopes: [], params: [], destructive: false, typicalSeconds: 20 },
  { type: 'power_off', summary: 'Cut the power (like pulling the plug)', extraScopes: [], params: [], destructive: false, typicalSeconds: 10 },
  { type: 'power_on', summary: 'Power on', extraScopes: [], params: [], destructive: false, typicalSeconds: 15 },
  { type: 'restore', summary: 'Restore from one of its backups (overwrites the disk)', extraScopes: ['droplet:admin'], params: [{ key: 'image', required: true, hint: '<backup ID>' }], destructive: true, typicalSeconds: 300 },
  { type: 'password_reset', summary: 'Reset the root password (emailed to the account owner)', extraScopes: ['droplet:admin'], params: [], destructive: false, typicalSeconds: 30 },
  {
    type: 'resize',
    summary: 'Change the size (the Droplet must be off)',
    extraScopes: ['droplet:create'],
    params: [
      { key: 'size', required: true, hint: '<size slug, e.g. s-2vcpu-4gb>' },
      { key: 'disk', required: false, hint: 'true|false; true also grows the disk and cannot be undone' },
    ],
    destructive: false,
    typicalSeconds: 120,
  },
  { type: 'rebuild', summary: 'Rebuild from an image (erases the disk)', extraScopes: ['droplet:admin'], params: [{ key: 'image', required: true, hint: '<image slug or ID, e.g. ubuntu-24-04-x64>' }], destructive: true, typicalSeconds: 120 },
  { type: 'rename', summary: 'Rename', extraScopes: [], params: [{ key: 'name', required: true, hint: '<new name: letters, digits, . and ->' }], destructive: false, typicalSeconds: 5 },
  { type: 'change_kernel', summary: 'Change the kernel', extraScopes: [], params: [{ key: 'kernel', required: true, hint: '<kernel ID>' }], destructive: false, typicalSeconds: 10 },
  { type: 'enable_ipv6', summary: 'Turn on IPv6', extraScopes: [], params: [], destructive: false, typicalSeconds: 10 },
  { type: 'snapshot', summary: 'Take a snapshot (power it off first for a consistent image)', extraScopes: ['image:create'], params: [{ key: 'name', required: false, hint: '"<snapshot name>"' }], destructive: false, typicalSeconds: 180 },
];

export const ACTIONS: ReadonlyMap<ActionType, ActionSpec> = new Map(SPECS.map((s) => [s.type, s]));

export function actionSpec(type: ActionType): ActionSpec {
  const spec = ACTIONS.get(type);
  if (!spec) throw new Error(`unknown action type ${type}`);
  return spec;
}

/** All scopes an action needs: droplet:update plus its own. */
export function requiredScopes(type: ActionType): Scope[] {
  return ['droplet:update', ...actionSpec(type).extraScopes];
}

export function isActionType(value: string): value is ActionType {
  return (ACTION_TYPES as readonly string[]).includes(value);
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
  const params = actionSpec(type).params.map((p) => (p.required ? `${p.key}=${p.hint}` : `[${p.key}=${p.hint}]`));
  return ['/droplet', displayName(type), '<droplet>', ...params].join(' ');
}

// ---- Parameter validation: raw key=value strings -> the API body ----

const INT = /^\d+$/;
const SIZE_SLUG = /^[a-z0-9][a-z0-9-]*$/;
const IMAGE_SLUG = /^[a-z0-9][a-z0-9.-]*$/;
// DigitalOcean accepts hostnames: letters, digits, dots and hyphens, up to 255 characters.
const DROPLET_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;

export interface ParamProblem {
  key: ParamKey | undefined;
  message: string;
}

const problem = (key: ParamKey | undefined, message: string): ParamProblem => ({ key, message });

function parseBackupPolicy(raw: Partial<Record<ParamKey, string>>, problems: ParamProblem[]): BackupPolicy | undefined {
  const policy: BackupPolicy = {};
  if (raw.plan !== undefined) {
    const plan = raw.plan.toLowerCase();
    if ((BACKUP_PLANS as readonly string[]).includes(plan)) policy.plan = plan as BackupPolicy['plan'];
    else problems.push(problem('plan', `plan must be daily or weekly, not "${raw.plan}"`));
  }
  if (raw.weekday !== undefined) {
    const day = raw.weekday.toUpperCase().slice(0, 3);
    if ((WEEKDAYS as readonly string[]).includes(day) && raw.weekday.length >= 3) policy.weekday = day as BackupPolicy['weekday'];
    else problems.push(problem('weekday', `weekday must be one of ${WEEKDAYS.join(', ')}, not "${raw.weekday}"`));
  }
  if (raw.hour !== undefined) {
    const hour = INT.test(raw.hour) ? Number(raw.hour) : NaN;
    if ((BACKUP_HOURS as readonly number[]).includes(hour)) policy.hour = hour as BackupPolicy['hour'];
    else problems.push(problem('hour', `hour must be one of ${BACKUP_HOURS.join(', ')} (the backup window starts every 4 hours, UTC), not "${raw.hour}"`));
  }
  for (const key of ['window_length_hours', 'retention_period_days'] as const) {
    if (raw[key] !== undefined) {
      problems.push(problem(key, `${key} is read-only: DigitalOcean sets it from the plan, so leave it out`));
    }
  }
  if (policy.weekday && policy.plan !== 'weekly') {
    problems.push(problem('weekday', 'weekday only applies to plan=weekly'));
  }
  return Object.keys(policy).length > 0 ? policy : undefined;
}

export type ParamsResult = { ok: true; params: ActionParams } | { ok: false; problems: ParamProblem[] };

/**
 * Checks raw key=value strings against what the API accepts for this action type and turns
 * them into the request body's fields. Every problem is reported, not just the first.
 */
export function validateParams(type: ActionType, raw: Partial<Record<ParamKey, string>>): ParamsResult {
  const spec = actionSpec(type);
  const allowed = new Set(spec.params.map((p) => p.key));
  if (type === 'enable_backups' || type === 'change_backup_policy') {
    allowed.add('window_length_hours');
    allowed.add('retention_period_days');
  }
  const problems: ParamProblem[] = [];
  for (const key of Object.keys(raw) as ParamKey[]) {
    if (!allowed.has(key)) {
      const takes = spec.params.length ? `it takes ${spec.params.map((p) => p.key).join(', ')}` : 'it takes no parameters';
      problems.push(problem(key, `${displayName(type)} does not take ${key}=; ${takes}`));
    }
  }
  for (const p of spec.params) {
    if (p.required && (raw[p.key] === undefined || raw[p.key] === '')) problems.push(problem(p.key, `${p.key} is required: ${p.key}=${p.hint}`));
  }
  if (problems.length) return { ok: false, problems };

  const params: ActionParams = {};
  switch (type) {
    case 'enable_backups':
    case 'change_backup_policy': {
      const policy = parseBackupPolicy(raw, problems);
      if (policy) params.backup_policy = policy;
      break;
    }
    case 'restore':
      if (raw.image !== undefined && INT.test(raw.image) && Number(raw.image) > 0) params.image = Number(raw.image);
      else problems.push(problem('image', `image must be the numeric ID of one of this Droplet's backups, not "${raw.image ?? ''}"`));
      break;
    case 'rebuild': {
      const image = raw.image ?? '';
      if (INT.test(image) && Number(image) > 0) params.image = Number(image);
      else if (IMAGE_SLUG.test(image)) params.image = image;
      else problems.push(problem('image', `image must be an image slug such as ubuntu-24-04-x64 or a numeric image ID, not "${image}"`));
      break;
    }
    case 'resize': {
      const size = raw.size ?? '';
      if (SIZE_SLUG.test(size)) params.size = size;
      else problems.push(problem('size', `size must be a size slug such as s-2vcpu-4gb, not "${size}"`));
      if (raw.disk !== undefined) {
        const disk = raw.disk.toLowerCase();
        if (disk === 'true' || disk === 'false') params.disk = disk === 'true';
        else problems.push(problem('disk', `disk must be true or false, not "${raw.disk}"`));
      }
      break;
    }
    case 'rename': {
      const name = raw.name ?? '';
      if (DROPLET_NAME.test(name)) params.name = name;
      else problems.push(problem('name', `name must be a valid hostname (letters, digits, . and -, up to 255 characters), not "${name}"`));
      break;
    }
    case 'change_kernel':
      if (raw.kernel !== undefined && INT.test(raw.kernel) && Number(raw.kernel) > 0) params.kernel = Number(raw.kernel);
      else problems.push(problem('kernel', `kernel must be a numeric kernel ID, not "${raw.kernel ?? ''}"`));
      break;
    case 'snapshot':
      if (raw.name !== undefined) {
        const name = raw.name.trim();
        if (name.length === 0 || name.length > 255) problems.push(problem('name', 'name must be 1 to 255 characters'));
        else params.name = name;
      }
      break;
    default:
      break;
  }
  return problems.length ? { ok: false, problems } : { ok: true, params };
}

/** The request body for POST /v2/droplets/{id}/actions. */
export function actionBody(type: ActionType, params: ActionParams): ActionBody {
  return { type, ...params };
}

/** zod schema of a validated body, used where bodies cross a process boundary (jobs in Redis). */
export const actionBodySchema = z
  .object({
    type: z.enum(ACTION_TYPES),
    backup_policy: z
      .object({
        plan: z.enum(BACKUP_PLANS).optional(),
        weekday: z.enum(WEEKDAYS).optional(),
        hour: z.literal(BACKUP_HOURS).optional(),
      })
      .strict()
      .optional(),
    image: z.union([z.number().int().positive(), z.string().min(1)]).optional(),
    size: z.string().min(1).optional(),
    disk: z.boolean().optional(),
    name: z.string().min(1).max(255).optional(),
    kernel: z.number().int().positive().optional(),
  })
  .strict();
