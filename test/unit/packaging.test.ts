// The sandbox is a package of its own: the bot never imports it (main.ts loads it by name, only
// when nothing is configured), the production build and image hold none of it, and `ws` moved
// with it. Reads the files as they are and dist/ as the test run's global setup built it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    return statSync(join(ROOT, p)).isDirectory() ? files(p) : [p];
  });
}

describe('the sandbox package', () => {
  it('is imported by nothing under src/, except by name from main.ts when nothing is configured', () => {
    for (const file of files('src').filter((f) => f.endsWith('.ts'))) {
      const text = read(file);
      expect(text, file).not.toMatch(/from ['"][^'"]*sandbox[^'"]*['"]/);
      expect(text, file).not.toMatch(/import\(['"][^'"]*sandbox/);
    }
    expect(read('src/main.ts')).toMatch(/const SANDBOX_PACKAGE = 'droplet-bot-sandbox';[\s\S]*await import\(SANDBOX_PACKAGE\)/);
  });

  it('depends on the bot only through its public entry', () => {
    for (const file of files('sandbox/src').filter((f) => f.endsWith('.ts'))) {
      const text = read(file);
      expect(text, file).not.toMatch(/from ['"](\.\.\/)+(\.\.\/)?src\//);
      for (const m of text.matchAll(/from '(droplet-bot[^']*)'/g)) expect(m[1], file).toBe('droplet-bot');
    }
  });

  it('is not in the production build', () => {
    const built = files('dist').map((f) => relative('dist', f));
    expect(built).toContain('main.js');
    expect(built.filter((f) => /sandbox|simulator|playground/.test(f) && !f.startsWith('bench/'))).toEqual([]);
    for (const f of built.filter((x) => x.endsWith('.js') && !x.startsWith('bench/'))) expect(read(join('dist', f)), f).not.toMatch(/startSlackSimulator|startDigitalOceanSimulator/);
  });

  it('is not in the image, and ws moved with it', () => {
    const docker = read('Dockerfile');
    expect(docker).toMatch(/npm ci [^\n]*--workspaces=false/);
    expect(docker).toMatch(/npm prune --omit=dev --workspaces=false/);
    expect(docker.match(/^COPY .*$/gm)!.filter((l) => l.includes('sandbox'))).toEqual(['COPY sandbox/package.json ./sandbox/']);
    const root = JSON.parse(read('package.json'));
    const sandbox = JSON.parse(read('sandbox/package.json'));
    expect(Object.keys(root.dependencies)).not.toContain('ws');
    expect(Object.keys(sandbox.dependencies)).toContain('ws');
    expect(root.workspaces).toEqual(['sandbox']);
  });
});

describe('the start scripts', () => {
  it('run every half with the same node flags, which the image uses through npm start', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    // `exec`: the shell npm runs a script in becomes node, so the SIGTERM npm forwards (from
    // `docker stop`, say) reaches the bot, which then stops cleanly; a shell would not pass it on.
    const flags = (script: string) => /^exec node ((?:--\S+ )*)dist\/main\.js/.exec(script)?.[1];
    // A young generation of 2 MiB keeps an idle process under 100 MiB (see BENCHMARKS.md).
    expect(flags(scripts.start!)).toBe('--max-semi-space-size=2 ');
    expect(flags(scripts['start:web']!)).toBe(flags(scripts.start!));
    expect(flags(scripts['start:worker']!)).toBe(flags(scripts.start!));
    expect(read('Dockerfile')).toMatch(/^CMD \["npm", "start"\]$/m);
  });
});
