// Child process: the Slack and DigitalOcean simulators for one benchmark scenario, kept out of
// the measuring process so their work never shows up as the bot's latency. DigitalOcean sits
// behind a counting proxy that records each answer's status (the simulator's own log has none),
// which is how 429s are counted. Talks to the parent over IPC.
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDigitalOceanSimulator } from 'droplet-bot-sandbox';
import { startSlackSimulator } from 'droplet-bot-sandbox';
import type { SimsConfig, SimsReply, SimsRequest, DoCall, SlackCall } from './sims-protocol.js';

const config = JSON.parse(process.env.BENCH_SIMS ?? '{}') as SimsConfig;
const slack = await startSlackSimulator({ botToken: config.slackToken });
const digitalocean = await startDigitalOceanSimulator({
  token: config.doToken,
  seed: true,
  ...(config.durations ? { durations: config.durations } : {}),
  ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
});
const droplets = [...Array(config.droplets.count)].map((_, i) => digitalocean.addDroplet({ name: `${config.droplets.prefix}-${i + 1}`, ...(config.droplets.tags ? { tags: config.droplets.tags } : {}) }));

const doCalls: DoCall[] = [];
let postArrivals = 0;
const ACTION_POST = /^\/v2\/droplets\/\d+\/actions$/;
const target = new URL(digitalocean.url);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
  const at = Date.now();
  const path = (req.url ?? '').split('?')[0]!;
  const actionPost = req.method === 'POST' && ACTION_POST.test(path);
  if (actionPost) postArrivals++;
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      doCalls.push({ method: req.method ?? 'GET', path, status: answer.statusCode ?? 0, at });
      const reply = () => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      };
      if (actionPost && config.slowPostsMs) setTimeout(reply, config.slowPostsMs);
      else reply();
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const doUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

function slackCalls(): SlackCall[] {
  return slack.calls.map((c) => ({
    method: c.method,
    at: c.at,
    threadTs: typeof c.args.thread_ts === 'string' ? c.args.thread_ts : undefined,
    text: typeof c.args.text === 'string' ? c.args.text : undefined,
    user: typeof c.args.user_id === 'string' ? c.args.user_id : undefined,
  }));
}

function lastActivity(): number {
  return Math.max(doCalls.at(-1)?.at ?? 0, slack.calls.at(-1)?.at ?? 0);
}

const send = (msg: SimsReply) => process.send!(msg);
process.on('message', (msg: SimsRequest) => {
  if (msg.type === 'snapshot') {
    send({
      type: 'snapshot',
      id: msg.id,
      doCalls,
      slackCalls: slackCalls(),
      actions: digitalocean.state.actions.map((a) => ({ id: a.id, dropletId: a.resource_id ?? 0, status: a.status, completedAt: a.completed_at })),
    });
  } else if (msg.type === 'progress') {
    const completed = slack.calls.filter((c) => c.method === 'chat.postMessage' && typeof c.args.text === 'string' && /\*completed\*/.test(c.args.text)).length;
    const roots = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined).length;
    send({ type: 'progress', id: msg.id, completed, roots, postArrivals, doCalls: doCalls.length, slackCalls: slack.calls.length, lastActivity: lastActivity(), now: Date.now() });
  } else if (msg.type === 'stop') {
    void Promise.all([slack.close(), digitalocean.close(), new Promise((r) => proxy.close(r))]).then(() => process.exit(0));
    proxy.closeAllConnections();
  }
});
send({ type: 'ready', slackUrl: slack.url, doUrl, droplets: droplets.map((d) => ({ id: d.id, name: d.name })) });
