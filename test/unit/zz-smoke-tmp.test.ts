import { it } from 'vitest';
import { execSync } from 'node:child_process';
import { startDigitalOceanSimulator } from '/work/main/src/sandbox/digitalocean/index.js';
it('smoke', async () => {
  const sim = await startDigitalOceanSimulator({ timeScale: 0.01 });
  console.log(execSync(`curl -si '${sim.url}/v2/droplets?name=worker&per_page=1'`).toString().slice(0, 1500));
  console.log(execSync(`curl -si -XPOST -d '{"type":"resize","size":"s-2vcpu-4gb"}' ${sim.url}/v2/droplets/3164445/actions`).toString());
  await sim.close();
});
