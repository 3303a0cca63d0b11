// The HTTP endpoints of a process with no receiver (`main.js worker`): GET /healthz and GET
// /metrics on PORT. Where a receiver runs, its own server answers both paths instead.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from './health.js';
import type { BotMetrics } from './metrics.js';

/** The two routes, for any server: true when the request was one of them and is answered. */
export async function answerOps(req: IncomingMessage, res: ServerResponse, health: Health, metrics: BotMetrics): Promise<boolean> {
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET' || (path !== '/healthz' && path !== '/metrics')) return false;
  if (path === '/healthz') {
    const { ok, details } = health.report();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok, ...details }));
    return true;
  }
  try {
    const { contentType, body } = await metrics.text();
    res.writeHead(200, { 'content-type': contentType });
    res.end(body);
  } catch {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('metrics could not be read just now\n');
  }
  return true;
}

export async function startOpsServer(port: number, health: Health, metrics: BotMetrics): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void answerOps(req, res, health, metrics).then((answered) => {
      if (answered) return;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('This process serves GET /healthz and GET /metrics.\n');
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`PORT ${port} is already in use: give each process on this host its own PORT (0 picks a free one).`) : err),
    );
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
