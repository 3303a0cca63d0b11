// Wire shapes of the DigitalOcean API v2 objects the simulator serves, modelled on the
// response schemas of the droplet-actions OpenAPI subset. They are declared here rather than
// imported from the bot's own client code on purpose: the simulator stands in for DigitalOcean,
// so it must not share assumptions (or bugs) with the code under test.

/** Every action type POST /v2/droplets/{id}/actions accepts (15 in the spec enum + change_backup_policy). */
export const DROPLET_ACTION_TYPES = [
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
export type DropletActionType = (typeof DROPLET_ACTION_TYPES)[number];

/** The subset POST /v2/droplets/actions?tag_name= accepts. */
export const TAG_ACTION_TYPES = [
  'power_cycle',
  'power_on',
  'power_off',
  'shutdown',
  'enable_ipv6',
  'enable_backups',
  'disable_backups',
  'snapshot',
] as const satisfies readonly DropletActionType[];

export interface Region {
  name: string;
  slug: string;
  features: string[];
  available: boolean;
  sizes: string[];
}

export interface DiskInfo {
  type: 'local' | 'boot' | 'scratch';
  size: { amount: number; unit: string };
}

export interface Size {
  slug: string;
  memory: number;
  vcpus: number;
  disk: number;
  transfer: number;
  price_monthly: number;
  price_hourly: number;
  regions: string[];
  available: boolean;
  description: string;
  disk_info: DiskInfo[];
}

export interface Kernel {
  id: number;
  name: string;
  version: string;
}

export type ImageType = 'base' | 'snapshot' | 'backup' | 'custom' | 'admin';

export interface Image {
  id: number;
  name: string;
  /** DigitalOcean reports distributions as 'base' and 1-click apps as public 'snapshot's. */
  type: ImageType;
  distribution: string;
  slug: string | null;
  public: boolean;
  regions: string[];
  created_at: string;
  min_disk_size: number | null;
  size_gigabytes: number | null;
  description: string;
  tags: string[];
  status: 'NEW' | 'available' | 'pending' | 'deleted' | 'retired';
  error_message: string;
}

export interface NetworkV4 {
  ip_address: string;
  netmask: string;
  gateway: string;
  type: 'public' | 'private';
}

export interface NetworkV6 {
  ip_address: string;
  netmask: number;
  gateway: string;
  type: 'public';
}

export interface BackupWindow {
  start: string;
  end: string;
}

export interface Droplet {
  id: number;
  name: string;
  memory: number;
  vcpus: number;
  disk: number;
  disk_info: DiskInfo[];
  locked: boolean;
  status: 'new' | 'active' | 'off' | 'archive';
  kernel: Kernel | null;
  created_at: string;
  features: string[];
  backup_ids: number[];
  next_backup_window: BackupWindow | null;
  snapshot_ids: number[];
  image: Image;
  volume_ids: string[];
  size: Size;
  size_slug: string;
  networks: { v4: NetworkV4[]; v6: NetworkV6[] };
  region: Region;
  tags: string[];
  vpc_uuid: string;
}

export type ActionStatus = 'in-progress' | 'completed' | 'errored';

export interface Action {
  id: number;
  status: ActionStatus;
  type: string;
  started_at: string;
  completed_at: string | null;
  resource_id: number | null;
  resource_type: string;
  region: Region;
  region_slug: string | null;
}

export interface BackupPolicy {
  plan: 'daily' | 'weekly';
  weekday: 'SUN' | 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT';
  hour: 0 | 4 | 8 | 12 | 16 | 20;
  window_length_hours: number;
  retention_period_days: number;
}

/**
 * Everything the simulator knows. Tests may read and mutate it directly (e.g. flip a droplet's
 * status); handlers always look objects up afresh, so such edits take effect on the next request.
 */
export interface SimulatorState {
  droplets: Droplet[];
  /** Oldest first (creation order); list endpoints reverse it to serve newest first. */
  actions: Action[];
  /** Public catalogue (distributions, 1-click apps) and the account's snapshots and backups. */
  images: Image[];
  sizes: Size[];
  regions: Region[];
  /** Kernels offered to each droplet (GET /v2/droplets/{id}/kernels), by droplet id. */
  kernels: Map<number, Kernel[]>;
  /** Backup policy per droplet id; only droplets with backups enabled have one. */
  backupPolicies: Map<number, BackupPolicy>;
  /** Next ids to hand out; large like real ones, and monotonic so newest-first is by id. */
  nextIds: { droplet: number; action: number; image: number };
}
