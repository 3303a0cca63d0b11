// What the image needs, checked against the project's own files where no Docker engine runs.
// The Dockerfile is read the way `docker build` reads it; the runtime stage's file tree is then
// assembled from its COPY lines (the compiled code, the production packages the lockfile names,
// the files from the context) in a folder of its own, and each start script the image can run is
// started there with the image's environment, until the image's own HEALTHCHECK command passes.
// A runtime import that the image does not copy stops the process, and the test with it.
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDigitalOceanSimulator, startSlackSimulator, type DigitalOceanSimulator, type SlackSimulator } from 'droplet-bot-sandbox';
import { copies, env, ignoredBy, last, stages, type Stage } from '../support/dockerfile.js';
import { SECRETS, USERS, botEnv } from '../support/harness.js';
import { ROOT } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const all = stages(read('Dockerfile'));
const runtime = all.at(-1)!;
const build = all.find((s) => s.name && copies(runtime).some((c) => c.from === s.name));
const workdir = (stage: Stage) => last(stage, 'WORKDIR')!.args;
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string>; engines: { node: string } };

describe('the Dockerfile', () => {
  it('runs as an unprivileged user, in production mode, without the build scripts', () => {
    const user = last(runtime, 'USER');
    expect(user, 'the runtime stage needs a USER').toBeDefined();
    expect(['root', '0']).not.toContain(user!.args.split(':')[0]);
    // The USER line comes before the command it runs, and every file it runs is its own.
    expect(user!.line).toBeLessThan(last(runtime, 'CMD')!.line);
    for (const c of copies(runtime)) expect(c.chown, `COPY ${c.sources.join(' ')}`).toBe(`${user!.args}:${user!.args}`);
    const vars = env(runtime);
    expect(vars.NODE_ENV).toBe('production');
    // `npm start` would otherwise compile first (prestart); the image holds the compiled code.
    expect(vars.NPM_CONFIG_IGNORE_SCRIPTS).toBe('true');
    expect(JSON.parse(last(runtime, 'CMD')!.args)).toEqual(['npm', 'start']);
    // The base image's Node satisfies package.json's engines (>= 20.18.1: any node:20 today).
    expect(runtime.image).toMatch(/^node:20[-.]/);
    expect(pkg.engines.node).toMatch(/^>=20\./);
  });

  it('copies only files the build context holds', () => {
    const ignored = ignoredBy(read('.dockerignore'));
    for (const stage of all)
      for (const c of copies(stage).filter((x) => !x.from))
        for (const source of c.sources) {
          expect(existsSync(join(ROOT, source)), `${source} exists`).toBe(true);
          expect(ignored(source), `${source} is left out by .dockerignore`).toBe(false);
        }
    // What the build stage compiles is what tsconfig.build.json compiles here (into dist/).
    expect(build!.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('tsc -p tsconfig.build.json'))).toBe(true);
    expect(JSON.parse(read('tsconfig.build.json')).compilerOptions.outDir).toBe('dist');
  });

  it('checks health on the path the bot serves and the port it listens on', () => {
    const check = last(runtime, 'HEALTHCHECK')!.args;
    const port = env(runtime).PORT!;
    expect(check).toContain("'/healthz'");
    // PORT as the container has it, falling back to the image's own.
    expect(check).toContain(`process.env.PORT||${port}`);
    expect(last(runtime, 'EXPOSE')!.args).toBe(port);
    expect(read('src/ops/ops-server.ts')).toContain("path !== '/healthz'");
  });
});

/** The runtime stage's files, assembled in `dir` from its COPY lines. */
function assemble(dir: string): void {
  const home = workdir(runtime);
  for (const c of copies(runtime)) {
    for (const source of c.sources) {
      const target = c.dest.endsWith('/') || c.dest === '.' || c.sources.length > 1 ? join(dir, relative(home, join(home, c.dest)), basename(source)) : join(dir, relative(home, join(home, c.dest)));
      if (!c.from) {
        cpSync(join(ROOT, source), target, { recursive: true });
        continue;
      }
      expect(c.from).toBe(build!.name);
      const inBuild = relative(workdir(build!), source);
      if (inBuild === 'node_modules') productionPackages(target);
      else if (['dist', 'package.json', 'package-lock.json'].includes(inBuild)) cpSync(join(ROOT, inBuild), target, { recursive: true });
      else throw new Error(`this test does not know how the build stage makes ${source}: teach assemble() about it`);
    }
  }
}

/** What `npm ci --workspaces=false && npm prune --omit=dev` leaves: the lockfile's non-dev packages. */
function productionPackages(target: string): void {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; link?: boolean }> };
  const keep = Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.link && existsSync(join(ROOT, path)))
    .map(([path]) => path);
  const kept = new Set(keep);
  for (const path of keep) {
    const dest = join(target, relative('node_modules', path));
    mkdirSync(dirname(dest), { recursive: true });
    // A package's own node_modules holds packages of their own lockfile entries: copied only if kept.
    cpSync(join(ROOT, path), dest, {
      recursive: true,
      filter: (src) => {
        const inner = relative(join(ROOT, path), src);
        const nested = /^(.*\/)?node_modules\/(@[^/]+\/)?[^/]+$/.exec(inner);
        return !nested || kept.has(`${path}/${inner}`);
      },
    });
  }
}

describe('the image file tree', () => {
  let dir: string;
  let slack: SlackSimulator;
  let digitalocean: DigitalOceanSimulator;
  const prefix = uniquePrefix('image');
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'droplet-bot-image-'));
    assemble(dir);
    // The role map is mounted at the default path, beside the image's files.
    writeFileSync(join(dir, 'roles.yml'), `roles:\n  operator: [droplet:update]\nmembers:\n  ${USERS.operator}: [operator]\n`);
    slack = await startSlackSimulator({ botToken: SECRETS.botToken });
    digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 0.01 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([slack?.close(), digitalocean?.close()]);
    await deleteKeys(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the compiled code and production packages, and neither the sources, the tests nor the sandbox', () => {
    expect(existsSync(join(dir, 'dist/main.js'))).toBe(true);
    for (const name of Object.keys(pkg.dependencies)) expect(existsSync(join(dir, 'node_modules', name)), name).toBe(true);
    for (const absent of ['src', 'test', 'sandbox', 'node_modules/vitest', 'node_modules/typescript', 'node_modules/droplet-bot-sandbox']) expect(existsSync(join(dir, absent)), absent).toBe(false);
  });

  for (const script of ['start', 'start:web', 'start:worker']) {
    it(`\`npm run ${script}\` starts there with the image's environment, and the image's HEALTHCHECK passes`, async () => {
      const port = await freePort();
      const vars = {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        ...env(runtime),
        ...botEnv({ slackUrl: slack.url, digitaloceanUrl: digitalocean.url, redisUrl: redisUrl(), prefix }, { PORT: String(port) }),
      };
      // A group of its own, so that whatever npm started can be killed with it.
      const child = spawn('npm', ['run', script], { cwd: dir, env: vars, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      const exited = new Promise<string>((resolve) => child.once('close', (code, signal) => resolve(signal ?? String(code))));
      try {
        // The HEALTHCHECK command as Docker runs it (shell form), in the container's environment.
        const command = last(runtime, 'HEALTHCHECK')!.args.replace(/^(--\S+\s+)*CMD\s+/, '');
        const deadline = Date.now() + 20_000;
        for (;;) {
          const code = await new Promise<number>((resolve) => execFile('/bin/sh', ['-c', command], { cwd: dir, env: vars }, (err) => resolve(err ? Number((err as { code?: number }).code ?? 1) : 0)));
          if (code === 0) break;
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the health check never passed; the process said:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        // It ran the compiled code without compiling (no prestart) and started the halves the script names.
        expect(out).not.toContain('tsc');
        expect(out).toContain('droplet-bot started');
        // SIGTERM, as `docker stop` sends it to npm: npm hands it to the bot, which stops cleanly.
        child.kill('SIGTERM');
        const late = new Promise<string>((resolve) => setTimeout(() => resolve('still running 10 s after SIGTERM'), 10_000).unref());
        expect(await Promise.race([exited, late])).toBe('0');
        expect(out).toContain('stopping: no new work is taken');
      } finally {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, 45_000);
  }
});
