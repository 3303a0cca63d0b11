// The 16 Droplet action types of POST /v2/droplets/{droplet_id}/actions, each declared once.
// Everything else (the grammar, validation, usage and help, the modal's inputs, approval
// confirmations, the job's body schema) is derived from these entries in catalogue/index.ts.
// docs/adding-an-action.md shows how to add one.
import { backupImage, disk, hostname, hour, kernel, plan, rebuildImage, READ_ONLY_BACKUP_FIELDS, size, snapshotName, weekday, type ParamDecl, type ParamKey } from './params.js';

export const SCOPES = ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ParamUse {
  // The entry only moves values between the grammar and the body; it never reads their type.
  param: ParamDecl<any>;
  required: boolean;
}

/** A body as the API takes it, before its type is known to the compiler. */
export type LooseBody = { type: string } & Record<string, unknown>;

export interface ActionDecl {
  summary: string;
  /** Scopes beyond droplet:update, which every action needs (DigitalOcean's own scope names). */
  scopes: readonly Scope[];
  params: readonly ParamUse[];
  /** Destroys data or cannot be undone: Approve asks for confirmation first. */
  destructive: (body: LooseBody) => boolean;
  /** Typical run time in seconds, used to pace status polling. */
  typicalSeconds: number;
  /** Keys the API documents but does not let a caller set: refused with this reason. */
  refuses?: Partial<Record<ParamKey, string>>;
  /** Rules between parameters, checked once each value has been read. */
  check?: (body: LooseBody) => Array<{ key: ParamKey; message: string }>;
  /** Shown under the modal's inputs, in mrkdwn. */
  warning?: string;
  /** POST /v2/droplets/actions?tag_name= takes this type: a fleet on one tag can start it in one call. */
  byTag?: true;
}

const never = () => false;
const always = () => true;
const backups = (required: boolean): ParamUse[] => [
  { param: plan, required },
  { param: weekday, required: false },
  { param: hour, required: false },
];
const weeklyOnly = (body: LooseBody) => {
  const policy = body.backup_policy as { plan?: string; weekday?: string } | undefined;
  return policy?.weekday && policy.plan !== 'weekly' ? [{ key: 'weekday' as const, message: 'weekday only applies to plan=weekly' }] : [];
};

export const CATALOGUE = {
  enable_backups: {
    summary: 'Turn on backups, optionally with a backup policy',
    scopes: [],
    params: backups(false),
    refuses: READ_ONLY_BACKUP_FIELDS,
    check: weeklyOnly,
    destructive: never,
    typicalSeconds: 5,
    byTag: true,
  },
  disable_backups: { summary: 'Turn off backups', scopes: [], params: [], destructive: never, typicalSeconds: 5, byTag: true },
  change_backup_policy: {
    summary: 'Change when backups run',
    scopes: [],
    params: backups(true),
    refuses: READ_ONLY_BACKUP_FIELDS,
    check: weeklyOnly,
    destructive: never,
    typicalSeconds: 5,
  },
  reboot: { summary: 'Reboot gracefully', scopes: [], params: [], destructive: never, typicalSeconds: 30 },
  power_cycle: { summary: 'Power off hard and on again', scopes: [], params: [], destructive: never, typicalSeconds: 20, byTag: true },
  shutdown: { summary: 'Shut down gracefully', scopes: [], params: [], destructive: never, typicalSeconds: 20, byTag: true },
  power_off: { summary: 'Cut the power (like pulling the plug)', scopes: [], params: [], destructive: never, typicalSeconds: 10, byTag: true },
  power_on: { summary: 'Power on', scopes: [], params: [], destructive: never, typicalSeconds: 15, byTag: true },
  restore: {
    summary: 'Restore from one of its backups (overwrites the disk)',
    scopes: ['droplet:admin'],
    params: [{ param: backupImage, required: true }],
    destructive: always,
    typicalSeconds: 300,
    warning: ":warning: *Restoring overwrites the Droplet's disk* with the backup.",
  },
  password_reset: { summary: 'Reset the root password (emailed to the account owner)', scopes: ['droplet:admin'], params: [], destructive: never, typicalSeconds: 30 },
  resize: {
    summary: 'Change the size (the Droplet must be off)',
    scopes: ['droplet:create'],
    params: [
      { param: size, required: true },
      { param: disk, required: false },
    ],
    // Growing the disk cannot be undone; CPU and RAM alone can be sized back down.
    destructive: (body) => body.disk === true,
    typicalSeconds: 120,
  },
  rebuild: {
    summary: 'Rebuild from an image (erases the disk)',
    scopes: ['droplet:admin'],
    params: [{ param: rebuildImage, required: true }],
    destructive: always,
    typicalSeconds: 120,
    warning: ":warning: *Rebuild erases the Droplet's disk* and installs the image you pick.",
  },
  rename: { summary: 'Rename', scopes: [], params: [{ param: hostname, required: true }], destructive: never, typicalSeconds: 5 },
  change_kernel: { summary: 'Change the kernel', scopes: [], params: [{ param: kernel, required: true }], destructive: never, typicalSeconds: 10 },
  enable_ipv6: { summary: 'Turn on IPv6', scopes: [], params: [], destructive: never, typicalSeconds: 10, byTag: true },
  snapshot: {
    summary: 'Take a snapshot (power it off first for a consistent image)',
    scopes: ['image:create'],
    params: [{ param: snapshotName, required: false }],
    destructive: never,
    typicalSeconds: 180,
    byTag: true,
  },
} as const satisfies Record<string, ActionDecl>;

export type ActionType = keyof typeof CATALOGUE;
