// Live choices for the modal, read from DigitalOcean: Droplets for the type-ahead, sizes in a
// region, images (distributions, 1-click apps, the account's snapshots), and one Droplet's
// backups and kernels. Lists are paginated, so every page is read, up to a sane limit.
import type { DigitalOceanClient } from './client.js';
import type { Droplet } from './types.js';

export interface Size {
  slug: string;
  memory: number;
  vcpus: number;
  disk: number;
  price_monthly: number;
  regions: string[];
  available: boolean;
  description?: string;
}

export interface Image {
  id: number;
  name: string;
  type: string;
  distribution?: string;
  slug: string | null;
  public?: boolean;
  regions?: string[];
  created_at?: string;
  size_gigabytes?: number | null;
  status?: string;
}

export interface Kernel {
  id: number;
  name: string;
  version: string;
}

/** GET /v2/droplets/{id} also carries the kernel, which the bot's Droplet type leaves out. */
export type DropletDetail = Droplet & { kernel?: Kernel | null };

interface Page {
  links?: { pages?: { next?: string } };
  meta?: { total?: number };
}

const PER_PAGE = 200;
/** 2,000 items of one kind are more than a select menu can show; stop reading there. */
const MAX_PAGES = 10;

export class DigitalOceanCatalog {
  constructor(private readonly client: Pick<DigitalOceanClient, 'get'>) {}

  /** Every item of a paginated list: follows pages until there is no `next`. */
  async all<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await this.client.get<Page & Record<string, unknown>>(`${path}${sep}page=${page}&per_page=${PER_PAGE}`);
      const batch = (res[key] as T[] | undefined) ?? [];
      items.push(...batch);
      if (!res.links?.pages?.next || batch.length === 0) break;
    }
    return items;
  }

  async droplet(id: number): Promise<DropletDetail> {
    return (await this.client.get<{ droplet: DropletDetail }>(`/v2/droplets/${id}`)).droplet;
  }

  async droplets(): Promise<Droplet[]> {
    return this.all<Droplet>('/v2/droplets', 'droplets');
  }

  /** Sizes a Droplet in `region` can be resized to, cheapest first. */
  async sizesIn(region: string): Promise<Size[]> {
    const sizes = await this.all<Size>('/v2/sizes', 'sizes');
    return sizes.filter((s) => s.available && s.regions.includes(region)).sort((a, b) => a.price_monthly - b.price_monthly || a.slug.localeCompare(b.slug));
  }

  /** Everything a Droplet can be rebuilt from: public distributions and apps, and the account's snapshots. */
  async rebuildImages(): Promise<{ distributions: Image[]; applications: Image[]; snapshots: Image[] }> {
    const [distributions, applications, privateImages] = await Promise.all([
      this.all<Image>('/v2/images?type=distribution', 'images'),
      this.all<Image>('/v2/images?type=application', 'images'),
      this.all<Image>('/v2/images?private=true', 'images'),
    ]);
    const usable = (i: Image) => i.status === undefined || i.status === 'available';
    return {
      distributions: distributions.filter(usable),
      applications: applications.filter(usable),
      // private=true also lists backups, which belong to restore, not rebuild.
      snapshots: privateImages.filter((i) => i.type === 'snapshot' && usable(i)),
    };
  }

  /** The Droplet's backups, newest first. */
  async backups(dropletId: number): Promise<Image[]> {
    const backups = await this.all<Image>(`/v2/droplets/${dropletId}/backups`, 'backups');
    return backups.sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''));
  }

  async kernels(dropletId: number): Promise<Kernel[]> {
    return this.all<Kernel>(`/v2/droplets/${dropletId}/kernels`, 'kernels');
  }
}
