// Reads from DigitalOcean the choices one action offers for one Droplet. A failed read becomes a
// note in the modal, not a failed modal: the operator can still pick or type something else.
import type { ActionType } from '../../domain/actions.js';
import type { DigitalOceanCatalog, DropletDetail } from '../../digitalocean/catalog.js';
import type { Choices } from './param-inputs.js';

export type CatalogReader = Pick<DigitalOceanCatalog, 'sizesIn' | 'rebuildImages' | 'backups' | 'kernels'>;

export async function loadChoices(catalog: CatalogReader, action: ActionType, droplet: DropletDetail | undefined): Promise<Choices> {
  try {
    switch (action) {
      case 'resize':
        return droplet ? { sizes: await catalog.sizesIn(droplet.region.slug) } : {};
      case 'rebuild':
        return { images: await catalog.rebuildImages() };
      case 'restore':
        return droplet ? { backups: await catalog.backups(droplet.id) } : {};
      case 'change_kernel':
        return droplet ? { kernels: await catalog.kernels(droplet.id) } : {};
      default:
        return {};
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
}
