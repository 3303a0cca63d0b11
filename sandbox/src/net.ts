// Loopback networking shared by the simulators, the sandbox, the tests and the benchmark.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (for processes that must be told a port). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await listenOnLoopback(srv, 0);
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Listens on 127.0.0.1 (port 0: any free one) and returns the base URL, `http://127.0.0.1:PORT`. */
export async function listenOnLoopback(server: Pick<Server, 'once' | 'off' | 'listen' | 'address'>, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
