// Reads from DigitalOcean the choices one action offers for one Droplet: whatever live lists its
// catalogue entry's inputs name. A failed read becomes a note in the modal, not a failed modal:
// the operator can still pick or type something else.
import { actionEntry, type ActionType, type ChoiceSource } from '../../../domain/catalogue/index.js';
import type { DigitalOceanCatalog, DropletDetail } from '../../../digitalocean/catalog.js';
import type { Choices } from '../../renderers/modal/param-inputs.js';

export type CatalogReader = Pick<DigitalOceanCatalog, 'sizesIn' | 'rebuildImages' | 'backups' | 'kernels'>;

export async function loadChoices(catalog: CatalogReader, action: ActionType, droplet: DropletDetail | undefined): Promise<Choices> {
  const choices: Choices = {};
  try {
    for (const { param } of actionEntry(action).params) {
      if (param.input.kind !== 'choice' || (param.input.perDroplet && !droplet)) continue;
      await load(catalog, param.input.source, droplet, choices);
    }
    return choices;
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function load(catalog: CatalogReader, source: ChoiceSource, droplet: DropletDetail | undefined, into: Choices): Promise<void> {
  switch (source) {
    case 'sizes':
      if (droplet) into.sizes = await catalog.sizesIn(droplet.region.slug);
      return;
    case 'images':
      into.images = await catalog.rebuildImages();
      return;
    case 'backups':
      if (droplet) into.backups = await catalog.backups(droplet.id);
      return;
    case 'kernels':
      if (droplet) into.kernels = await catalog.kernels(droplet.id);
      return;
  }
}
