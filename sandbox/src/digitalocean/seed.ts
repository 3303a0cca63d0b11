// The seeded account: six droplets in nyc3 and ams3, plus their snapshots and backups. Chosen to
// exercise the bot's edge cases: two droplets share the name `worker` (name ambiguity), one is
// powered off, some have backups (restore), one has an external kernel (change_kernel), and tags
// `web`/`db`/`worker` select different sets for bulk actions. All values are fixed.
import { insertDroplet } from './droplets.js';
import { findImage, findRegion, findSize } from './lookup.js';
import type { Droplet, Image, SimulatorState } from './types.js';

function privateImage(
  id: number,
  name: string,
  type: 'snapshot' | 'backup',
  region: string,
  createdAt: string,
  minDisk: number,
  sizeGb: number,
  distribution = 'Ubuntu',
): Image {
  return {
    id,
    name,
    type,
    distribution,
    slug: null,
    public: false,
    regions: [region],
    created_at: createdAt,
    min_disk_size: minDisk,
    size_gigabytes: sizeGb,
    description: '',
    tags: [],
    status: 'available',
    error_message: '',
  };
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`seed: missing ${what}`);
  return value;
}

export function seedAccount(state: SimulatorState): void {
  const region = (slug: string) => must(findRegion(state, slug), `region ${slug}`);
  const size = (slug: string) => must(findSize(state, slug), `size ${slug}`);
  const image = (slug: string) => must(findImage(state, slug), `image ${slug}`);

  const web1Snapshot = privateImage(162900101, 'web-1-before-upgrade', 'snapshot', 'nyc3', '2024-05-28T09:12:44Z', 25, 2.12);
  const web1Backups = [
    privateImage(163000201, 'web-1 2024-06-09', 'backup', 'nyc3', '2024-06-09T02:31:10Z', 25, 2.31),
    privateImage(163000202, 'web-1 2024-06-10', 'backup', 'nyc3', '2024-06-10T02:29:51Z', 25, 2.33),
  ];
  const db1Backups = [privateImage(163000301, 'db-1 2024-06-10', 'backup', 'ams3', '2024-06-10T04:05:33Z', 80, 11.4, 'Debian')];
  // A snapshot not tied to any current droplet: a valid private image for `rebuild`.
  const golden = privateImage(162900055, 'golden-image-2024-05', 'snapshot', 'nyc3', '2024-05-02T16:40:00Z', 25, 1.97);
  state.images.push(web1Snapshot, ...web1Backups, ...db1Backups, golden);

  const base = ['monitoring', 'droplet_agent', 'private_networking'];
  const specs: Array<Partial<Droplet> & { name: string }> = [
    {
      id: 3164444,
      name: 'web-1',
      region: region('nyc3'),
      size: size('s-1vcpu-1gb'),
      image: image('ubuntu-24-04-x64'),
      tags: ['web', 'env:prod'],
      features: [...base, 'backups', 'ipv6'],
      backup_ids: web1Backups.map((b) => b.id),
      snapshot_ids: [web1Snapshot.id],
      created_at: '2024-05-14T10:02:11Z',
    },
    {
      id: 3164445,
      name: 'web-2',
      region: region('nyc3'),
      size: size('s-1vcpu-2gb'),
      image: image('ubuntu-24-04-x64'),
      tags: ['web', 'env:prod'],
      created_at: '2024-05-14T10:04:37Z',
    },
    {
      id: 3164446,
      name: 'db-1',
      region: region('ams3'),
      size: size('s-2vcpu-4gb'),
      image: image('debian-12-x64'),
      tags: ['db', 'env:prod'],
      features: [...base, 'backups'],
      backup_ids: db1Backups.map((b) => b.id),
      // An older droplet on an externally managed kernel, so change_kernel is meaningful.
      kernel: { id: 9310, name: 'Debian 12 x64 vmlinuz-6.1.0-18-amd64', version: '6.1.0-18-amd64' },
      created_at: '2023-11-20T08:45:00Z',
    },
    // Two droplets named `worker` in different regions: name lookups must not assume uniqueness.
    {
      id: 3164447,
      name: 'worker',
      region: region('nyc3'),
      size: size('s-1vcpu-1gb'),
      image: image('ubuntu-22-04-x64'),
      tags: ['worker'],
      created_at: '2024-02-01T12:00:00Z',
    },
    {
      id: 3164448,
      name: 'worker',
      region: region('ams3'),
      size: size('s-1vcpu-1gb'),
      image: image('ubuntu-22-04-x64'),
      tags: ['worker'],
      created_at: '2024-02-01T12:03:30Z',
    },
    {
      id: 3164449,
      name: 'staging-1',
      region: region('ams3'),
      size: size('s-1vcpu-1gb'),
      image: image('ubuntu-24-04-x64'),
      tags: ['web', 'env:staging'],
      status: 'off',
      created_at: '2024-03-09T17:25:48Z',
    },
  ];
  for (const spec of specs) insertDroplet(state, spec);
}
