// Turns measured results into the console table and BENCHMARKS.md. Figures are formatted here,
// never written by hand.
import { cpus, platform, release, totalmem } from 'node:os';
import type { AckResult } from './scenarios/ack.js';
import { ACK } from './scenarios/ack.js';
import type { PollingResult } from './scenarios/polling.js';
import { IDLE_AFTER_MS, POLLING } from './scenarios/polling.js';
import { PRODUCTION_NODE_FLAGS } from './bot-process.js';
import type { RateResult } from './scenarios/rate.js';
import { RATE } from './scenarios/rate.js';
import type { ShutdownResult } from './scenarios/shutdown.js';
import { SHUTDOWN } from './scenarios/shutdown.js';
import type { FleetResult } from './scenarios/fleet.js';
import { FLEET } from './scenarios/fleet.js';
import type { ProcedureResult } from './scenarios/procedure.js';
import { PROCEDURE } from './scenarios/procedure.js';
import type { DoctlResult } from './scenarios/doctl-baseline.js';
import { DOCTL } from './scenarios/doctl-baseline.js';
import type { RecoveryResult } from './scenarios/recovery.js';
import type { HomeResult } from './scenarios/home.js';
import { HOME } from './scenarios/home.js';
import { RECOVERY } from './scenarios/recovery.js';

export interface Results {
  ack?: AckResult;
  polling?: PollingResult;
  pollingThree?: PollingResult;
  doctl?: DoctlResult;
  recovery?: RecoveryResult;
  rate?: RateResult;
  shutdown?: ShutdownResult;
  fleet?: FleetResult;
  procedure?: ProcedureResult;
  home?: HomeResult;
}

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  memory: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cores: c.length,
    cpu: c[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    platform: `${platform()} ${release()}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const s = (v: number) => `${(v / 1000).toFixed(2)} s`;
const mb = (v: number) => `${(v / 2 ** 20).toFixed(0)} MiB`;
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const met = (ok: boolean) => (ok ? 'yes' : 'NO');

interface Row {
  what: string;
  target: string;
  result: string;
  margin: string;
  met: string;
}

export function rows(r: Results): Row[] {
  const out: Row[] = [];
  if (r.ack) {
    out.push({
      what: `ack p99, bot vs bare Bolt (${ACK.concurrency} in flight)`,
      target: '<= 1.50x',
      result: `${r.ack.ratioP99.toFixed(2)}x (${ms(r.ack.bot.p99)} vs ${ms(r.ack.bare.p99)})`,
      margin: r.ack.ratioP99 <= 1.5 ? `${(1.5 - r.ack.ratioP99).toFixed(2)}x to spare` : `misses by ${(r.ack.ratioP99 - 1.5).toFixed(2)}x`,
      met: met(r.ack.ratioP99 <= 1.5 && r.ack.bot.failures === 0),
    });
  }
  for (const p of [r.polling, r.pollingThree]) {
    if (!p) continue;
    const who = p.shape === 'one' ? '1 process' : `${POLLING.workers} workers`;
    out.push({ what: `${POLLING.actions} reboots of ${POLLING.rebootMs / 1000} s, ${who}: last POST after the first command`, target: '-', result: `${s(p.cold.lastPostMs)}; learned: ${s(p.learned.lastPostMs)}`, margin: '', met: '-' });
    for (const [when, b] of [['nothing learned', p.cold], ['learned', p.learned]] as const) {
      out.push({
        what: `status calls per action, ${who}, ${when}`,
        target: '<= 0.15',
        result: `${b.callsPerAction.toFixed(2)} (${b.listCalls} listings, ${b.singleCalls} single)`,
        margin: b.callsPerAction <= 0.15 ? `${(0.15 - b.callsPerAction).toFixed(2)} to spare` : `misses by ${(b.callsPerAction - 0.15).toFixed(2)}`,
        met: met(b.callsPerAction <= 0.15),
      });
      out.push({
        what: `"completed" after DigitalOcean finished, ${who}, ${when}, p95`,
        target: '<= 2 s',
        result: `${s(b.delayP95)} (p50 ${s(b.delayP50)}, max ${s(b.delayMax)})`,
        margin: b.delayP95 <= 2000 ? `${s(2000 - b.delayP95)} to spare` : `misses by ${s(b.delayP95 - 2000)}`,
        met: met(b.delayP95 <= 2000),
      });
    }
  }
  if (r.doctl) {
    const d = r.doctl;
    const ours = r.polling?.learned;
    out.push({
      what: `doctl-style baseline (one GET per action every ${DOCTL.intervalMs / 1000} s), same ${POLLING.actions} reboots`,
      target: '-',
      result: `${d.statusCalls} calls (${d.callsPerAction.toFixed(2)} per action), seen p50 ${s(d.delayP50)}, p95 ${s(d.delayP95)} after the end`,
      margin: '',
      met: '-',
    });
    if (ours) {
      out.push({
        what: 'the bot (1 process, learned) against that baseline',
        target: '-',
        result: `${(d.statusCalls / Math.max(ours.statusCalls, 1)).toFixed(1)}x fewer status calls; p95 lag ${s(ours.delayP95)} vs ${s(d.delayP95)}`,
        margin: '',
        met: '-',
      });
    }
  }
  if (r.fleet) {
    const f = r.fleet;
    out.push({
      what: `action POSTs for a ${FLEET.droplets}-Droplet fleet on one tag`,
      target: '1',
      result: `${f.posts} (${f.bulkPosts} to the bulk tag endpoint)`,
      margin: '',
      met: met(f.posts === 1 && f.bulkPosts === 1),
    });
    out.push({
      what: `status calls for that fleet (actions of ${FLEET.actionMs / 1000} s)`,
      target: '-',
      result: `${f.statusCalls} (${(f.statusCalls / f.droplets).toFixed(3)} per Droplet) in ${f.listingRounds} rounds, at most ${f.pagesPerRound} listing pages a round; ${f.dropletReads} Droplet listing pages`,
      margin: '',
      met: '-',
    });
    out.push({ what: 'Slack calls for that fleet, Run to the end', target: '-', result: `${f.slackCalls} (${f.rootEdits} root message edits)`, margin: '', met: '-' });
    out.push({
      what: 'fleet "finished" after DigitalOcean finished its last action (all end together, so this is the lag p95 too)',
      target: '<= 5 s',
      result: s(f.lagMs),
      margin: f.lagMs <= 5000 ? `${s(5000 - f.lagMs)} to spare` : `misses by ${s(f.lagMs - 5000)}`,
      met: met(f.lagMs <= 5000),
    });
  }
  if (r.procedure) {
    const p = r.procedure;
    out.push({ what: 'action POSTs for a resize of a running Droplet', target: '3', result: String(p.posts), margin: '', met: met(p.posts === 3) });
    out.push({
      what: 'DigitalOcean reads for that resize',
      target: '-',
      result: `${p.dropletReads + p.actionReads + p.otherReads} (${p.dropletReads} Droplet, ${p.actionReads} action, ${p.otherReads} other) in ${s(p.wallMs)}`,
      margin: '',
      met: '-',
    });
    out.push({ what: 'next step sent after the previous one ended', target: '-', result: p.gapsMs.map(s).join(', '), margin: '', met: '-' });
    out.push({ what: 'resize "completed" after the Droplet was on again', target: '-', result: `${s(p.lagMs)}; ${p.slackCalls} Slack calls in all`, margin: '', met: '-' });
  }
  if (r.home) {
    const hm = r.home;
    out.push({
      what: `Home tab: ${HOME.people} people open it at once (${HOME.droplets} Droplets)`,
      target: '-',
      result: `${hm.publishes} views.publish, ${hm.listPages} Droplet list pages read; published ${s(hm.firstMs)} to ${s(hm.lastMs)} after the opens`,
      margin: '',
      met: '-',
    });
    out.push({
      what: `Home tab published again for ${HOME.reboots} of one person's reboots ending together`,
      target: '<= 3',
      result: `${hm.refreshes} publishes, the last ${s(hm.refreshLagMs)} after the last end`,
      margin: '',
      met: met(hm.refreshes >= 1 && hm.refreshes <= 3),
    });
  }
  if (r.rate) {
    out.push({
      what: `request rate used (${RATE.actions} queued, limit ${RATE.perMinute}/min, ${RATE.workers} workers)`,
      target: '>= 80%',
      result: `${pct(r.rate.utilisation)} (${r.rate.made} of ${r.rate.allowed} in ${RATE.windowMs / 60_000} min; per minute ${r.rate.perMinute.join(', ')})`,
      margin: r.rate.utilisation >= 0.8 ? `${((r.rate.utilisation - 0.8) * 100).toFixed(0)} points to spare` : `misses by ${((0.8 - r.rate.utilisation) * 100).toFixed(0)} points`,
      met: met(r.rate.utilisation >= 0.8),
    });
    out.push({ what: '429 answers from DigitalOcean', target: '0', result: String(r.rate.tooMany), margin: '', met: met(r.rate.tooMany === 0) });
  }
  if (r.shutdown) {
    const workerLimit = SHUTDOWN.graceMs + 10_000;
    out.push({
      what: `SIGTERM to exit, worker following an action (grace ${SHUTDOWN.graceMs / 1000} s)`,
      target: `<= ${s(workerLimit)}`,
      result: `${s(r.shutdown.workerMs)} (exit code ${r.shutdown.workerCode})`,
      margin: r.shutdown.workerMs <= workerLimit ? `${s(workerLimit - r.shutdown.workerMs)} to spare` : `misses by ${s(r.shutdown.workerMs - workerLimit)}`,
      met: met(r.shutdown.workerMs <= workerLimit && r.shutdown.workerCode === 0),
    });
    out.push({
      what: 'SIGTERM to exit, receiver right after an ack',
      target: `<= ${s(SHUTDOWN.graceMs + 10_000)}`,
      result: `${s(r.shutdown.webMs)} (exit code ${r.shutdown.webCode})`,
      margin: r.shutdown.webMs <= SHUTDOWN.graceMs + 10_000 ? `${s(SHUTDOWN.graceMs + 10_000 - r.shutdown.webMs)} to spare` : `misses by ${s(r.shutdown.webMs - SHUTDOWN.graceMs - 10_000)}`,
      met: met(r.shutdown.webMs <= SHUTDOWN.graceMs + 10_000 && r.shutdown.webCode === 0),
    });
  }
  if (r.recovery) {
    const lockLimit = 15_000 + 10_000;
    out.push({ what: `kill -9 of a worker whose job was parked on its action: new worker start to "completed"`, target: '<= 5 s', result: s(r.recovery.parkedMs), margin: r.recovery.parkedMs <= 5000 ? `${s(5000 - r.recovery.parkedMs)} to spare` : `misses by ${s(r.recovery.parkedMs - 5000)}`, met: met(r.recovery.parkedMs <= 5000) });
    out.push({
      what: 'kill -9 of a worker mid-POST (its job holds the lock): new worker start to "completed"',
      target: `<= ${s(lockLimit)}`,
      result: `${s(r.recovery.midPostMs)}; ${r.recovery.midPostPosts} POST`,
      margin: r.recovery.midPostMs <= lockLimit ? `${s(lockLimit - r.recovery.midPostMs)} to spare` : `misses by ${s(r.recovery.midPostMs - lockLimit)}`,
      met: met(r.recovery.midPostMs <= lockLimit && r.recovery.midPostPosts === 1),
    });
  }
  if (r.pollingThree?.rssIdle.web !== undefined) {
    const web = r.pollingThree.rssIdle.web;
    const worker = r.pollingThree.rssIdle.worker!;
    const limit = 100 * 2 ** 20;
    out.push({ what: 'RSS of an idle receiver (`main.js web`)', target: '<= 100 MiB', result: mb(web), margin: web <= limit ? `${mb(limit - web)} to spare` : `misses by ${mb(web - limit)}`, met: met(web <= limit) });
    out.push({ what: 'RSS of an idle worker (`main.js worker`, median of 3)', target: '<= 100 MiB', result: mb(worker), margin: worker <= limit ? `${mb(limit - worker)} to spare` : `misses by ${mb(worker - limit)}`, met: met(worker <= limit) });
    out.push({ what: `RSS peak under the two batches, receiver / busiest worker`, target: '-', result: `${mb(r.pollingThree.rssPeak.web!)} / ${mb(r.pollingThree.rssPeak.worker!)}`, margin: '', met: '-' });
  }
  if (r.polling?.rssIdle.all !== undefined) {
    out.push({ what: 'RSS idle, one process with both halves', target: '-', result: mb(r.polling.rssIdle.all), margin: '', met: '-' });
    out.push({ what: `RSS peak of that process under the two batches`, target: '-', result: mb(r.polling.rssPeak.all!), margin: '', met: '-' });
  }
  return out;
}

export function renderTable(r: Results): string {
  const header: Row = { what: 'measurement', target: 'target', result: 'result', margin: 'margin', met: 'met' };
  const all = [header, ...rows(r)];
  const keys = ['what', 'target', 'result', 'margin', 'met'] as const;
  const width = keys.map((k) => Math.max(...all.map((row) => row[k].length)));
  const line = (row: Row) => keys.map((k, i) => row[k].padEnd(width[i]!)).join('  ');
  return [line(header), width.map((w) => '-'.repeat(w)).join('  '), ...rows(r).map(line)].join('\n');
}

function pollingTable(r: Results): string {
  const lines = ['| run | last POST | status calls | per action | other calls | "completed" lag p50 | p95 | max |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const p of [r.polling, r.pollingThree]) {
    if (!p) continue;
    const who = p.shape === 'one' ? '1 process' : `receiver + ${POLLING.workers} workers`;
    for (const [when, b] of [['nothing learned', p.cold], ['learned', p.learned]] as const) {
      lines.push(`| ${who}, ${when} | ${s(b.lastPostMs)} | ${b.statusCalls} (${b.listCalls} listings) | ${b.callsPerAction.toFixed(2)} | ${b.otherCalls} | ${s(b.delayP50)} | ${s(b.delayP95)} | ${s(b.delayMax)} |`);
    }
  }
  if (r.doctl) lines.push(`| doctl-style, one GET per action every ${DOCTL.intervalMs / 1000} s | - | ${r.doctl.statusCalls} | ${r.doctl.callsPerAction.toFixed(2)} | ${POLLING.actions} | ${s(r.doctl.delayP50)} | ${s(r.doctl.delayP95)} | - |`);
  return lines.length > 2 ? lines.join('\n') : '';
}

export function renderMarkdown(r: Results, m: Machine, tookMs: number): string {
  const table = [
    '| measurement | target | result | margin | met |',
    '| --- | --- | --- | --- | --- |',
    ...rows(r).map((row) => `| ${row.what} | ${row.target} | ${row.result} | ${row.margin} | ${row.met} |`),
  ].join('\n');
  const ack = r.ack
    ? [
        '| receiver | p50 | p95 | p99 | max | requests | failed |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        `| droplet-bot (\`main.js web\`) | ${ms(r.ack.bot.p50)} | ${ms(r.ack.bot.p95)} | ${ms(r.ack.bot.p99)} | ${ms(r.ack.bot.max)} | ${r.ack.bot.n} | ${r.ack.bot.failures} |`,
        `| bare Bolt app, ack only | ${ms(r.ack.bare.p50)} | ${ms(r.ack.bare.p95)} | ${ms(r.ack.bare.p99)} | ${ms(r.ack.bare.max)} | ${r.ack.bare.n} | ${r.ack.bare.failures} |`,
      ].join('\n')
    : '';
  const rate = r.rate
    ? `In that time ${r.rate.posted} actions were started and ${r.rate.completed} reported completed; the others were still waiting for a slot when the window closed.`
    : '';
  return `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Every figure below was
measured by that run; none is typed by hand. Run it again to replace this file.

Machine: ${m.cores} cores (${m.cpu}), ${m.memory} RAM, Node ${m.node}, ${m.platform}.
The run took ${(tookMs / 1000).toFixed(0)} s.

${table}

## What is measured

Everything runs on loopback: a private \`redis-server\`, the Slack and DigitalOcean simulators
(\`sandbox/\`, a package of its own) in a process of their own at lower CPU priority (they stand in for remote
servers), and the bot started as in production (\`node main.js [web|worker]\`, settings in the
environment) in processes of its own.

**Ack latency.** ${ACK.rounds} rounds of ${ACK.perRound} signed \`/droplet reboot ack-N\` commands at
${ACK.concurrency} in flight, alternating between the real receiver (\`main.js web\`, which records and
claims the request in Redis before each ack, then looks the Droplet up, posts the root message
and queues the job)
and a bare Bolt app with the same \`HTTPReceiver\` whose handler only acks. ${ACK.warmup} warm-up
commands for each are not counted. Time runs from sending the request to the last byte of the
ack, as Slack's 3-second limit counts it.

${ack}

**Polling.** ${POLLING.actions} \`/droplet reboot\` commands at once; the simulator takes
${POLLING.rebootMs / 1000} s for each reboot. Every bot setting is the default (\`STATUS_POLL_MS=2000\`,
\`WORKER_CONCURRENCY=20\`). Two shapes, each on a Redis of its own: one process with both halves
(\`main.js\`), and a receiver (\`main.js web\`) with ${POLLING.workers} worker processes (\`main.js worker\`).
Each shape runs two batches: the first with nothing learned, as on a fresh install, and a second
once the poller has learned from the first how long a reboot takes. "Last POST" runs from the
first command sent to the last action POST reaching DigitalOcean. Status calls are GET
\`/v2/actions\`, \`/v2/actions/{id}\` and \`/v2/droplets/{id}/actions\` as DigitalOcean received them
during the batch. The delay runs from the moment DigitalOcean finished an action (its POST's
arrival plus ${POLLING.rebootMs / 1000} s) to the moment its "completed" reply reached the thread. "Other
calls" are every other call DigitalOcean received in the batch: the POSTs, the receiver's lookups
and the workers' reads. The second batch starts a minute after the first, once the rate budget's
window has passed. RSS is each process's VmRSS (the figure \`process.memoryUsage().rss\` reports),
idle ${IDLE_AFTER_MS / 1000} s after start-up (the median of five readings), and its peak during both batches. The
processes run with the node flags of \`npm start\` (${PRODUCTION_NODE_FLAGS.map((f) => `\`${f}\``).join(' ') || 'none'}); production
processes never load the sandbox.

${pollingTable(r)}

**doctl-style baseline.** What \`doctl compute droplet-action reboot <id> --wait\` costs, simulated in
the bench: the same ${POLLING.actions} reboots of ${POLLING.rebootMs / 1000} s are POSTed at once, and each is then read with
one GET \`/v2/actions/{id}\` every ${DOCTL.intervalMs / 1000} s until it is no longer in progress. The simulator ends each reboot
exactly ${POLLING.rebootMs / 1000} s after its POST, which this cadence meets at its second read, so the baseline sees the
ends almost at once here; for a duration that is not a multiple of ${DOCTL.intervalMs / 1000} s it would wait up to
${DOCTL.intervalMs / 1000} s (half that on average). Its cost does not depend on that: one call per action every ${DOCTL.intervalMs / 1000} s.

**Recovery.** A receiver and one worker process at default settings (\`WORKER_LOCK_MS=15000\`), a
reboot of ${RECOVERY.actionMs / 1000} s, and the worker killed with SIGKILL. In the first case it dies while its job is
parked on the action (holding no lock); the action ends while no worker runs, and then a new
worker starts. In the second, DigitalOcean holds the answer to the POST for ${RECOVERY.slowPostMs / 1000} s and the worker
dies while it waits, so its job still holds its lock; a new worker starts at once, and the job
runs again once the lock has run out. It finds the action the first POST started: "POST" counts
the action POSTs DigitalOcean received. Time runs from the new worker's start to "completed" in
the thread.

**Procedure.** \`/droplet resize proc-1 size=s-2vcpu-4gb\` on a running Droplet, with the
simulator taking ${PROCEDURE.shutdownMs / 1000} s to shut down, ${PROCEDURE.resizeMs / 1000} s to resize and ${PROCEDURE.powerOnMs / 1000} s to power on, and
the bot's default pacing (one process, both halves). The gaps run from when DigitalOcean ended one
step's action (its POST's arrival plus its duration) to the next step's POST; the last figure runs
from the power-on's end to "completed" on the root message.

**Home tab.** One process with both halves, on an account of ${HOME.droplets} Droplets. ${HOME.people} people with the
same role send \`app_home_opened\` at once (signed JSON callbacks, as the Events API sends them);
the figures count every \`views.publish\` and every page of \`GET /v2/droplets\` DigitalOcean
received, and time each person's first publish from the first callback sent. Then one of them
runs ${HOME.reboots} reboots of ${HOME.rebootMs / 1000} s that end together; the count is every publish of that
person's tab the workers made for those ends, without anyone opening it again.

**Rate budget.** The simulator limits the token to ${RATE.perMinute} requests a minute (a sliding
minute, like DigitalOcean's) and the bot's budget is set to match
(\`DIGITALOCEAN_RATE_PER_MINUTE=${RATE.perMinute}\`). ${RATE.actions} reboots of ${RATE.rebootMs / 1000} s are queued
through the receiver, then ${RATE.workers} worker processes start on them; every process draws
from the one budget in Redis. "Used" counts the requests DigitalOcean accepted in the
${RATE.windowMs / 60_000} minutes from the first one (the receiver's lookups included), against the
${RATE.perMinute} a minute it allows. ${rate}

**Shutdown.** A receiver and a worker run apart with \`SHUTDOWN_GRACE_MS=${SHUTDOWN.graceMs}\`. The worker is
sent SIGTERM while it follows a reboot of ${SHUTDOWN.rebootMs / 1000} s, so it waits out its grace period and hands
the job back to the queue; the receiver is sent SIGTERM right after it acked a command, so it
first finishes that request. Time runs from the signal to the process's exit. The target is
the bound the bot promises: the grace period plus 10 s.
`;
}
