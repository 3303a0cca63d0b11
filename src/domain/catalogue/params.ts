// The parameters Droplet actions take, each declared once: how `key=value` is read, where the
// value goes in the API body, its schema there, its hint, and the modal input that asks for it.
// Pure. An action entry (entries.ts) lists the parameters it takes.
import { z } from 'zod';

export const BACKUP_PLANS = ['daily', 'weekly'] as const;
export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export const BACKUP_HOURS = [0, 4, 8, 12, 16, 20] as const;

/** Every key the command grammar knows, across all actions. */
export const PARAM_KEYS = ['size', 'disk', 'image', 'name', 'kernel', 'plan', 'weekday', 'hour', 'window_length_hours', 'retention_period_days'] as const;
export type ParamKey = (typeof PARAM_KEYS)[number];

/** Live DigitalOcean lists a modal input can offer. */
export const CHOICE_SOURCES = ['sizes', 'images', 'backups', 'kernels'] as const;
export type ChoiceSource = (typeof CHOICE_SOURCES)[number];

/** What the modal shows for one parameter; slack/renderers/modal renders it. */
export type ModalInput =
  /** A fixed list of options. */
  | { kind: 'options'; label: string; options: ReadonlyArray<{ value: string; text: string }>; hint?: string }
  /** Options read live from DigitalOcean; `perDroplet` ones need the Droplet picked first. */
  | { kind: 'choice'; source: ChoiceSource; perDroplet: boolean; label: string; hint: string }
  | { kind: 'text'; label: string; hint: string; maxLength: number }
  /** A single checkbox whose ticked value is `true`. */
  | { kind: 'checkbox'; label: string; hint: string; text: string; description: string };

export type Read<V> = { ok: true; value: V } | { ok: false; message: string };

export interface ParamDecl<V = unknown> {
  key: ParamKey;
  /** Where the value goes in the API body: `size`, or `backup_policy.plan`. */
  path: readonly [string] | readonly [string, string];
  /** How to write the value, shown in usage lines and errors. */
  hint: string;
  /** `key=value` text -> the body's value, or what is wrong with it (in words a person can act on). */
  read(raw: string): Read<V>;
  /** The value as it may appear in a job's body. */
  schema: z.ZodType<V>;
  input: ModalInput;
}

const ok = <V>(value: V): Read<V> => ({ ok: true, value });
const no = (message: string): Read<never> => ({ ok: false, message });
const INT = /^\d+$/;
const positiveId = (raw: string) => (INT.test(raw) && Number(raw) > 0 ? Number(raw) : undefined);
const SIZE_SLUG = /^[a-z0-9][a-z0-9-]*$/;
const IMAGE_SLUG = /^[a-z0-9][a-z0-9.-]*$/;
// DigitalOcean accepts hostnames: letters, digits, dots and hyphens, up to 255 characters.
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;
const id = z.number().int().positive();

export const size: ParamDecl<string> = {
  key: 'size',
  path: ['size'],
  hint: '<size slug, e.g. s-2vcpu-4gb>',
  read: (raw) => (SIZE_SLUG.test(raw) ? ok(raw) : no(`size must be a size slug such as s-2vcpu-4gb, not "${raw}"`)),
  schema: z.string().min(1),
  input: { kind: 'choice', source: 'sizes', perDroplet: true, label: 'New size', hint: 'Prices are per month. The Droplet must be powered off to resize.' },
};

export const disk: ParamDecl<boolean> = {
  key: 'disk',
  path: ['disk'],
  hint: 'true|false; true also grows the disk and cannot be undone',
  read: (raw) => {
    const v = raw.toLowerCase();
    return v === 'true' || v === 'false' ? ok(v === 'true') : no(`disk must be true or false, not "${raw}"`);
  },
  schema: z.boolean(),
  input: {
    kind: 'checkbox',
    label: 'Disk',
    hint: 'A disk resize cannot be undone: the Droplet can never go back to a size with a smaller disk. Leave this off to change only CPU and RAM.',
    text: 'Also resize the disk',
    description: 'A disk resize cannot be undone',
  },
};

export const backupImage: ParamDecl<number> = {
  key: 'image',
  path: ['image'],
  hint: '<backup ID>',
  read: (raw) => {
    const v = positiveId(raw);
    return v === undefined ? no(`image must be the numeric ID of one of this Droplet's backups, not "${raw}"`) : ok(v);
  },
  schema: id,
  input: { kind: 'choice', source: 'backups', perDroplet: true, label: 'Backup to restore', hint: '' },
};

export const rebuildImage: ParamDecl<number | string> = {
  key: 'image',
  path: ['image'],
  hint: '<image slug or ID, e.g. ubuntu-24-04-x64>',
  read: (raw) => {
    const v = positiveId(raw);
    if (v !== undefined) return ok(v);
    return IMAGE_SLUG.test(raw) ? ok(raw) : no(`image must be an image slug such as ubuntu-24-04-x64 or a numeric image ID, not "${raw}"`);
  },
  schema: z.union([id, z.string().min(1)]),
  input: { kind: 'choice', source: 'images', perDroplet: false, label: 'Image', hint: 'Distributions and 1-Click applications by slug, your snapshots by ID.' },
};

export const hostname: ParamDecl<string> = {
  key: 'name',
  path: ['name'],
  hint: '<new name: letters, digits, . and ->',
  read: (raw) => (HOSTNAME.test(raw) ? ok(raw) : no(`name must be a valid hostname (letters, digits, . and -, up to 255 characters), not "${raw}"`)),
  schema: z.string().min(1).max(255),
  input: { kind: 'text', label: 'New name', hint: 'A hostname: letters, digits, dots and hyphens.', maxLength: 255 },
};

export const snapshotName: ParamDecl<string> = {
  key: 'name',
  path: ['name'],
  hint: '"<snapshot name>"',
  read: (raw) => {
    const v = raw.trim();
    return v.length === 0 || v.length > 255 ? no('name must be 1 to 255 characters') : ok(v);
  },
  schema: z.string().min(1).max(255),
  input: { kind: 'text', label: 'Snapshot name', hint: 'Leave empty and DigitalOcean names it for you.', maxLength: 255 },
};

export const kernel: ParamDecl<number> = {
  key: 'kernel',
  path: ['kernel'],
  hint: '<kernel ID>',
  read: (raw) => {
    const v = positiveId(raw);
    return v === undefined ? no(`kernel must be a numeric kernel ID, not "${raw}"`) : ok(v);
  },
  schema: id,
  input: { kind: 'choice', source: 'kernels', perDroplet: true, label: 'Kernel', hint: '' },
};

const WEEKDAY_NAMES: Record<(typeof WEEKDAYS)[number], string> = { SUN: 'Sunday', MON: 'Monday', TUE: 'Tuesday', WED: 'Wednesday', THU: 'Thursday', FRI: 'Friday', SAT: 'Saturday' };
const pad = (h: number) => String(h).padStart(2, '0');

export const plan: ParamDecl<(typeof BACKUP_PLANS)[number]> = {
  key: 'plan',
  path: ['backup_policy', 'plan'],
  hint: 'daily|weekly',
  read: (raw) => {
    const v = raw.toLowerCase();
    return (BACKUP_PLANS as readonly string[]).includes(v) ? ok(v as (typeof BACKUP_PLANS)[number]) : no(`plan must be daily or weekly, not "${raw}"`);
  },
  schema: z.enum(BACKUP_PLANS),
  input: { kind: 'options', label: 'Backup plan', options: BACKUP_PLANS.map((p) => ({ value: p, text: p === 'daily' ? 'Daily' : 'Weekly' })) },
};

export const weekday: ParamDecl<(typeof WEEKDAYS)[number]> = {
  key: 'weekday',
  path: ['backup_policy', 'weekday'],
  hint: 'SUN..SAT, weekly plans only',
  read: (raw) => {
    const v = raw.toUpperCase().slice(0, 3);
    return (WEEKDAYS as readonly string[]).includes(v) && raw.length >= 3 ? ok(v as (typeof WEEKDAYS)[number]) : no(`weekday must be one of ${WEEKDAYS.join(', ')}, not "${raw}"`);
  },
  schema: z.enum(WEEKDAYS),
  input: { kind: 'options', label: 'Weekday (weekly plans only)', options: WEEKDAYS.map((d) => ({ value: d, text: WEEKDAY_NAMES[d] })) },
};

export const hour: ParamDecl<(typeof BACKUP_HOURS)[number]> = {
  key: 'hour',
  path: ['backup_policy', 'hour'],
  hint: '0|4|8|12|16|20 (UTC)',
  read: (raw) => {
    const v = INT.test(raw) ? Number(raw) : NaN;
    return (BACKUP_HOURS as readonly number[]).includes(v)
      ? ok(v as (typeof BACKUP_HOURS)[number])
      : no(`hour must be one of ${BACKUP_HOURS.join(', ')} (the backup window starts every 4 hours, UTC), not "${raw}"`);
  },
  schema: z.literal(BACKUP_HOURS),
  input: {
    kind: 'options',
    label: 'Backup window (UTC)',
    options: BACKUP_HOURS.map((h) => ({ value: String(h), text: `${pad(h)}:00–${pad((h + 4) % 24)}:00 UTC` })),
    hint: 'Backups start some time in this 4-hour window.',
  },
};

/** Backup-policy fields the API only reports: typed anyway, they are refused with this reason. */
export const READ_ONLY_BACKUP_FIELDS: Partial<Record<ParamKey, string>> = {
  window_length_hours: 'window_length_hours is read-only: DigitalOcean sets it from the plan, so leave it out',
  retention_period_days: 'retention_period_days is read-only: DigitalOcean sets it from the plan, so leave it out',
};
