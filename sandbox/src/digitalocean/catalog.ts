// Account-independent catalogue data: regions, sizes, public images and kernels. It exists even
// with `seed: false`, because an empty DigitalOcean account still sees these. Values are fixed
// (no clocks, no randomness) so tests and sandbox sessions see the same data every run.
import type { DiskInfo, Image, Kernel, Region, Size } from './types.js';

const REGION_FEATURES = ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer'];

/** Regions droplets can live in. Their `sizes` are filled from SIZES below by buildRegions(). */
const REGION_NAMES: Array<[slug: string, name: string]> = [
  ['nyc3', 'New York 3'],
  ['ams3', 'Amsterdam 3'],
];

/** Slugs that appear in size `regions` lists, as on the real API (more regions than we host). */
const ALL_REGIONS = ['ams3', 'blr1', 'fra1', 'lon1', 'nyc1', 'nyc3', 'sfo2', 'sfo3', 'sgp1', 'syd1', 'tor1'];
const WITHOUT_AMS3 = ALL_REGIONS.filter((r) => r !== 'ams3');
const WITHOUT_NYC3 = ALL_REGIONS.filter((r) => r !== 'nyc3');

function size(
  slug: string,
  memory: number,
  vcpus: number,
  disk: number,
  transfer: number,
  priceMonthly: number,
  description: string,
  regions: string[] = ALL_REGIONS,
  available = true,
): Size {
  const diskInfo: DiskInfo[] = [{ type: 'local', size: { amount: disk, unit: 'gib' } }];
  return {
    slug,
    memory,
    vcpus,
    disk,
    transfer,
    price_monthly: priceMonthly,
    // DigitalOcean bills 672 hours a month; its hourly prices carry float noise the same way.
    price_hourly: Math.round((priceMonthly / 672) * 1e8) / 1e8,
    regions,
    available,
    description,
    disk_info: diskInfo,
  };
}

export function buildSizes(): Size[] {
  return [
    size('s-1vcpu-512mb-10gb', 512, 1, 10, 0.5, 4, 'Basic'),
    size('s-1vcpu-1gb', 1024, 1, 25, 1, 6, 'Basic'),
    size('s-1vcpu-2gb', 2048, 1, 50, 2, 12, 'Basic'),
    size('s-2vcpu-2gb', 2048, 2, 60, 3, 18, 'Basic'),
    size('s-2vcpu-4gb', 4096, 2, 80, 4, 24, 'Basic'),
    size('s-4vcpu-8gb', 8192, 4, 160, 5, 48, 'Basic'),
    // Not offered in ams3: resizing an ams3 droplet to it must fail.
    size('s-8vcpu-16gb', 16384, 8, 320, 6, 96, 'Basic', WITHOUT_AMS3),
    size('c-2', 4096, 2, 25, 4, 42, 'CPU-Optimized', WITHOUT_AMS3),
    // Not offered in nyc3.
    size('g-2vcpu-8gb', 8192, 2, 25, 4, 63, 'General Purpose', WITHOUT_NYC3),
    // Sold out everywhere: listed, but `available: false`.
    size('m-2vcpu-16gb', 16384, 2, 50, 4, 84, 'Memory-Optimized', ALL_REGIONS, false),
  ];
}

export function buildRegions(sizes: Size[]): Region[] {
  return REGION_NAMES.map(([slug, name]) => ({
    name,
    slug,
    features: [...REGION_FEATURES],
    available: true,
    sizes: sizes.filter((s) => s.available && s.regions.includes(slug)).map((s) => s.slug),
  }));
}

const IMAGE_REGIONS = ['ams3', 'blr1', 'fra1', 'lon1', 'nyc1', 'nyc3', 'sfo3', 'sgp1', 'syd1', 'tor1'];

function publicImage(
  id: number,
  slug: string,
  name: string,
  distribution: string,
  kind: 'distribution' | 'application',
  createdAt: string,
  minDisk: number,
  sizeGb: number,
  description: string,
): Image {
  return {
    id,
    name,
    type: kind === 'distribution' ? 'base' : 'snapshot',
    distribution,
    slug,
    public: true,
    regions: [...IMAGE_REGIONS],
    created_at: createdAt,
    min_disk_size: minDisk,
    size_gigabytes: sizeGb,
    description,
    tags: [],
    status: 'available',
    error_message: '',
  };
}

export function buildPublicImages(): Image[] {
  return [
    publicImage(155193140, 'ubuntu-24-04-x64', '24.04 (LTS) x64', 'Ubuntu', 'distribution', '2024-04-25T15:10:18Z', 7, 2.54, 'Ubuntu 24.04 (LTS) x64'),
    publicImage(129211873, 'ubuntu-22-04-x64', '22.04 (LTS) x64', 'Ubuntu', 'distribution', '2023-03-14T17:57:35Z', 7, 2.36, 'Ubuntu 22.04 (LTS) x64'),
    publicImage(141223418, 'debian-12-x64', '12 x64', 'Debian', 'distribution', '2023-10-10T19:52:11Z', 10, 0.88, 'Debian 12 x64 (bookworm)'),
    publicImage(151372310, 'rockylinux-9-x64', '9 x64', 'Rocky Linux', 'distribution', '2024-02-27T20:13:25Z', 10, 1.01, 'Rocky Linux 9 x64'),
    publicImage(158349201, 'fedora-40-x64', '40 x64', 'Fedora', 'distribution', '2024-05-07T14:42:00Z', 15, 1.71, 'Fedora 40 x64'),
    publicImage(146211234, 'docker-20-04', 'Docker 25.0.3 on Ubuntu 22.04', 'Ubuntu', 'application', '2024-02-12T09:31:02Z', 25, 4.12, 'Docker 1-Click'),
    publicImage(146211245, 'wordpress-20-04', 'WordPress 6.5 on Ubuntu 22.04', 'Ubuntu', 'application', '2024-04-03T11:05:47Z', 25, 5.33, 'WordPress 1-Click'),
  ];
}

/** Whether an image counts as `?type=distribution` or `?type=application` on GET /v2/images. */
export function imageKind(image: Image): 'distribution' | 'application' | 'private' {
  if (!image.public) return 'private';
  return image.type === 'base' ? 'distribution' : 'application';
}

/**
 * Kernels offered per distribution. Droplets made after March 2017 use internal kernels
 * (`kernel: null`), but the list endpoint still answers, so every droplet gets a list.
 */
const KERNELS_BY_DISTRIBUTION: Record<string, Kernel[]> = {
  Ubuntu: [
    { id: 8455, name: 'DigitalOcean GrubLoader v0.2 (20160714)', version: '2016.07.13-DigitalOcean_loader_Ubuntu' },
    { id: 9221, name: 'Ubuntu 24.04 x64 vmlinuz-6.8.0-31-generic', version: '6.8.0-31-generic' },
    { id: 9222, name: 'Ubuntu 24.04 x64 vmlinuz-6.8.0-35-generic', version: '6.8.0-35-generic' },
  ],
  Debian: [
    { id: 8460, name: 'DigitalOcean GrubLoader v0.2 (20160714)', version: '2016.07.13-DigitalOcean_loader_Debian' },
    { id: 9310, name: 'Debian 12 x64 vmlinuz-6.1.0-18-amd64', version: '6.1.0-18-amd64' },
    { id: 9311, name: 'Debian 12 x64 vmlinuz-6.1.0-21-amd64', version: '6.1.0-21-amd64' },
  ],
};

const GENERIC_KERNELS: Kernel[] = [
  { id: 8470, name: 'DigitalOcean GrubLoader v0.2 (20160714)', version: '2016.07.13-DigitalOcean_loader_Generic' },
];

export function kernelsFor(distribution: string): Kernel[] {
  return (KERNELS_BY_DISTRIBUTION[distribution] ?? GENERIC_KERNELS).map((k) => ({ ...k }));
}
