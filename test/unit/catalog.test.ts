// The modal's live choices, read through the real client from the DigitalOcean simulator:
// every page of a long list, and only the choices that apply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitalOceanCatalog } from '../../src/digitalocean/catalog.js';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from 'droplet-bot-sandbox';

const TOKEN = 'dop_v1_catalogtest0123456789abcdef';
let sim: DigitalOceanSimulator;
let client: DigitalOceanClient;
let catalog: DigitalOceanCatalog;

beforeAll(async () => {
  sim = await startDigitalOceanSimulator({ token: TOKEN, rateLimit: { perMinute: 10_000, perHour: 100_000 } });
  client = new DigitalOceanClient({ apiUrl: sim.url, token: TOKEN });
  catalog = new DigitalOceanCatalog(client);
});
afterAll(async () => {
  await client.close();
  await sim.close();
});

describe('DigitalOceanCatalog', () => {
  it('reads every page of a long list', async () => {
    for (let i = 0; i < 450; i++) sim.addDroplet({ name: `bulk-${i}` });
    const before = sim.requests.length;
    const droplets = await catalog.droplets();
    expect(droplets).toHaveLength(456);
    expect(new Set(droplets.map((d) => d.id)).size).toBe(456);
    expect(sim.requests.slice(before).map((r) => r.path)).toEqual(['/v2/droplets', '/v2/droplets', '/v2/droplets']);
  });

  it('offers the sizes available in a region, cheapest first', async () => {
    const ams = (await catalog.sizesIn('ams3')).map((s) => s.slug);
    expect(ams).toContain('g-2vcpu-8gb');
    expect(ams).not.toContain('s-8vcpu-16gb');
    expect(ams).not.toContain('m-2vcpu-16gb');
    const nyc = await catalog.sizesIn('nyc3');
    expect(nyc.map((s) => s.slug)).not.toContain('g-2vcpu-8gb');
    expect(nyc.map((s) => s.price_monthly)).toEqual([...nyc.map((s) => s.price_monthly)].sort((a, b) => a - b));
  });

  it('offers distributions, applications and snapshots for rebuild, never backups', async () => {
    const images = await catalog.rebuildImages();
    expect(images.distributions.map((i) => i.slug)).toContain('debian-12-x64');
    expect(images.applications.map((i) => i.slug)).toContain('wordpress-20-04');
    expect(images.snapshots.map((i) => i.id).sort()).toEqual([162900055, 162900101]);
  });

  it("reads one Droplet's backups (newest first), kernels and current kernel", async () => {
    expect((await catalog.backups(3164444)).map((b) => b.id)).toEqual([163000202, 163000201]);
    expect((await catalog.kernels(3164446)).map((k) => k.id)).toEqual([8460, 9310, 9311]);
    expect((await catalog.droplet(3164446)).kernel?.id).toBe(9310);
  });
});
