// `npm run bench`: measures the bot against its efficiency targets on loopback simulators,
// prints a table and writes BENCHMARKS.md. Every figure in that file comes from this run.
//   node dist/bench/bench/run.js [ack|polling|doctl|fleet|procedure|home|recovery|rate|shutdown ...]   (a subset prints, but writes nothing)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { cleanupWork, REPO, startRedis } from './procs.js';
import { machine, renderMarkdown, renderTable, type Results } from './report.js';
import { measureAck } from './scenarios/ack.js';
import { measurePolling } from './scenarios/polling.js';
import { measureRate } from './scenarios/rate.js';
import { measureShutdown } from './scenarios/shutdown.js';
import { FLEET, measureFleet } from './scenarios/fleet.js';
import { measureProcedure } from './scenarios/procedure.js';
import { measureDoctlBaseline } from './scenarios/doctl-baseline.js';
import { measureRecovery } from './scenarios/recovery.js';
import { HOME, measureHome } from './scenarios/home.js';

const all = ['ack', 'polling', 'doctl', 'fleet', 'procedure', 'home', 'recovery', 'rate', 'shutdown'] as const;
const asked = process.argv.slice(2);
const parts = asked.length ? all.filter((p) => asked.includes(p)) : [...all];

const redis = await startRedis();
const prefixes: string[] = [];
const prefix = (name: string) => {
  const p = `{bench-${name}-${randomBytes(4).toString('hex')}}`;
  prefixes.push(p);
  return p;
};
const results: Results = {};
const started = Date.now();
try {
  if (parts.includes('ack')) {
    console.log('ack latency: real receiver vs bare Bolt, alternating rounds ...');
    results.ack = await measureAck(redis.url, prefix('ack'));
  }
  if (parts.includes('polling')) {
    console.log('polling: 50 reboots of 10 s, one process at default settings, twice ...');
    results.polling = await measurePolling(redis.url, prefix('polling-one'), 'one');
    console.log('polling: 50 reboots of 10 s, a receiver and 3 worker processes, twice ...');
    results.pollingThree = await measurePolling(redis.url, prefix('polling-three'), 'three');
  }
  if (parts.includes('doctl')) {
    console.log('doctl-style baseline: 50 reboots of 10 s, one GET per action every 5 s ...');
    results.doctl = await measureDoctlBaseline();
  }
  if (parts.includes('fleet')) {
    console.log(`fleet: power-cycle on ${FLEET.droplets} Droplets of one tag ...`);
    results.fleet = await measureFleet(redis.url, prefix('fleet'));
  }
  if (parts.includes('procedure')) {
    console.log('procedure: resize of a running Droplet (shutdown, resize, power on) ...');
    results.procedure = await measureProcedure(redis.url, prefix('procedure'));
  }
  if (parts.includes('home')) {
    console.log(`home tab: ${HOME.people} people open it at once on ${HOME.droplets} Droplets, then ${HOME.reboots} reboots end together ...`);
    results.home = await measureHome(redis.url, prefix('home'));
  }
  if (parts.includes('recovery')) {
    console.log('recovery: kill -9 of a worker mid-action, then a new worker ...');
    results.recovery = await measureRecovery(redis.url, prefix);
  }
  if (parts.includes('shutdown')) {
    console.log('shutdown: SIGTERM to a worker following an action and to a receiver right after an ack ...');
    results.shutdown = await measureShutdown(redis.url, prefix('shutdown'));
  }
  if (parts.includes('rate')) {
    console.log('rate budget: 100 queued actions against a 100/min limit (takes 2 minutes) ...');
    results.rate = await measureRate(redis.url, prefix('rate'));
  }
} finally {
  if (process.env.REDIS_URL) await deleteKeys(redis.url, prefixes);
  await redis.stop();
  cleanupWork();
}

const m = machine();
console.log(`\n${renderTable(results)}\n`);
console.log(`${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.platform}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (parts.length === all.length) {
  writeFileSync(`${REPO}BENCHMARKS.md`, renderMarkdown(results, m, Date.now() - started));
  console.log('wrote BENCHMARKS.md');
}

async function deleteKeys(url: string, list: string[]): Promise<void> {
  const r = new Redis(url);
  try {
    for (const p of list) {
      let cursor = '0';
      do {
        const [next, found] = await r.scan(cursor, 'MATCH', `${p.replace(/([*?[\]])/g, '\\$1')}*`, 'COUNT', 500);
        cursor = next;
        if (found.length) await r.del(...found);
      } while (cursor !== '0');
    }
  } finally {
    r.disconnect();
  }
}
