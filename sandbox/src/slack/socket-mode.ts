// Slack's Socket Mode, server side. `apps.connections.open` (called with the app-level token)
// hands out a single-use ticket URL on this simulator's own HTTP server; a WebSocket opened there
// gets `hello`, then envelopes `{envelope_id, type, payload, accepts_response_payload}`, and the
// app acknowledges each by sending `{envelope_id, payload?}` back on the socket. Slack's
// `disconnect` message (the client should reconnect with a fresh URL) and its pings are here too.
//
// `ws` is a runtime dependency of the sandbox package (not of the bot) because this file is
// compiled into sandbox/dist with the rest of the simulator. @slack/socket-mode itself
// does not bring it: its client uses undici's WebSocket, which has no server side.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { slashCommandBody, type SlashCommandFields } from './payloads.js';
import type { JsonObject } from './workspace-types.js';

/** Where apps.connections.open's URLs point (Slack's own look like wss://wss-primary.slack.com/link/?ticket=…&app_id=…). */
export const SOCKET_MODE_PATH = '/socket-mode/link/';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketModeEnvelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: JsonObject;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SocketModeAck {
  envelope_id: string;
  /** What the app sent with its ack, when it sent anything (Bolt sends `{}` for a bare ack()). */
  payload?: JsonObject;
  /** From sending the envelope to receiving the ack; Slack gives up on a slash command after 3000 ms. */
  ms: number;
}

export interface SocketModeOptions {
  /** The app the tokens belong to; `hello` and the connection URL carry it. */
  appId: string;
  /** When set, apps.connections.open accepts exactly this app-level token; otherwise any `xapp-` token. */
  appToken?: string;
  /** How long a URL from apps.connections.open may wait to be connected to (default 30 s). */
  ticketTtlMs?: number;
  /** How long a send waits for the ack before rejecting (default 3000 ms, Slack's deadline). */
  ackTimeoutMs?: number;
  /** Server pings to every connection, as Slack sends them (default 10 s; 0 = none). */
  pingIntervalMs?: number;
}

export interface SendOptions {
  /** Overrides the ack deadline for this envelope. */
  ackTimeoutMs?: number;
}

/** The ack did not come within the deadline: in Slack the user would see the command time out. */
export class SocketModeAckTimeout extends Error {
  override name = 'SocketModeAckTimeout';
  constructor(
    readonly envelopeId: string,
    readonly timeoutMs: number,
  ) {
    super(`Socket Mode: no ack for envelope ${envelopeId} within ${timeoutMs} ms`);
  }
}

interface Pending {
  resolve: (ack: SocketModeAck) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  sentAt: number;
}

/** Interaction types whose ack may carry an answer (options, response_action); others are ack-only. */
const RESPONDING_INTERACTIONS = new Set(['view_submission', 'block_suggestion']);

export class SocketModeServer {
  /** Connections opened since start (reconnects included). */
  connectionsOpened = 0;
  /** Every envelope sent, oldest first, with its ack once it came. */
  readonly envelopes: Array<{ envelope: SocketModeEnvelope; ack?: SocketModeAck }> = [];

  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  private readonly tickets = new Map<string, number>();
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, Pending>();
  private readonly pinger: NodeJS.Timeout | undefined;
  private readonly ticketTtlMs: number;
  private readonly ackTimeoutMs: number;
  private turn = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: SocketModeOptions) {
    this.ticketTtlMs = opts.ticketTtlMs ?? 30_000;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
    const every = opts.pingIntervalMs ?? 10_000;
    if (every > 0) {
      this.pinger = setInterval(() => {
        for (const socket of this.sockets) if (socket.readyState === WebSocket.OPEN) socket.ping(Buffer.from(`ping ${Date.now()}`));
      }, every);
      this.pinger.unref();
    }
  }

  /** Open connections (those that got `hello` and have not closed). */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * apps.connections.open's authentication: the Slack error code, or undefined when the caller may
   * open a connection. The app-level token must come in the Authorization header (Slack refuses it
   * as a POST parameter) and be an `xapp-` token (the configured one, when there is one).
   */
  authError(authorization: string | undefined): string | undefined {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return 'not_authed';
    if (!token.startsWith('xapp-')) return 'invalid_auth';
    if (this.opts.appToken !== undefined && token !== this.opts.appToken) return 'invalid_auth';
    return undefined;
  }

  /** apps.connections.open's `url`: a single-use ticket on `host`, the address the caller reached this server at. */
  connectionUrl(host: string): string {
    const now = Date.now();
    for (const [ticket, expires] of this.tickets) if (expires < now) this.tickets.delete(ticket);
    const ticket = randomUUID();
    this.tickets.set(ticket, now + this.ticketTtlMs);
    return `ws://${host}${SOCKET_MODE_PATH}?ticket=${ticket}&app_id=${encodeURIComponent(this.opts.appId)}`;
  }

  /**
   * For an HTTP server's 'upgrade' event. Returns false when the request is not for Socket Mode (the
   * caller answers it); otherwise takes the socket: a valid ticket gets a WebSocket and `hello`, an
   * unknown, used or expired one gets HTTP 401.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    if (url.pathname !== SOCKET_MODE_PATH) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    const expires = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (this.closed || expires === undefined || expires < Date.now()) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\ninvalid_ticket');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  /** Sends `/command text` as a `slash_commands` envelope; `fields` are those of slashCommandBody. */
  sendSlashCommand(fields: SlashCommandFields, opts: SendOptions = {}): Promise<SocketModeAck> {
    // Socket Mode carries the same fields as the HTTP form body, as a JSON object of strings.
    const payload: JsonObject = Object.fromEntries(new URLSearchParams(slashCommandBody(fields)));
    return this.send({ type: 'slash_commands', payload, accepts_response_payload: true }, opts);
  }

  /** Sends an interaction payload (payloads.ts: blockActionsPayload, viewSubmissionPayload, …) as an `interactive` envelope. */
  sendInteraction(payload: JsonObject, opts: SendOptions = {}): Promise<SocketModeAck> {
    const accepts = RESPONDING_INTERACTIONS.has(String(payload.type));
    return this.send({ type: 'interactive', payload, accepts_response_payload: accepts }, opts);
  }

  /**
   * Sends an envelope on one open connection (in turn, as Slack spreads envelopes over an app's
   * connections) and resolves with the app's ack; rejects with SocketModeAckTimeout when none comes.
   */
  send(envelope: Omit<SocketModeEnvelope, 'envelope_id'> & { envelope_id?: string }, opts: SendOptions = {}): Promise<SocketModeAck> {
    const open = [...this.sockets].filter((s) => s.readyState === WebSocket.OPEN);
    if (!open.length) return Promise.reject(new Error('Socket Mode: no connection is open; has the app started?'));
    const socket = open[this.turn++ % open.length]!;
    const full: SocketModeEnvelope = { ...envelope, envelope_id: envelope.envelope_id ?? randomUUID() };
    const record: { envelope: SocketModeEnvelope; ack?: SocketModeAck } = { envelope: full };
    this.envelopes.push(record);
    const timeoutMs = opts.ackTimeoutMs ?? this.ackTimeoutMs;
    return new Promise<SocketModeAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(full.envelope_id);
        reject(new SocketModeAckTimeout(full.envelope_id, timeoutMs));
      }, timeoutMs);
      this.pending.set(full.envelope_id, {
        resolve: (ack) => {
          record.ack = ack;
          resolve(ack);
        },
        reject,
        timer,
        sentAt: performance.now(),
      });
      socket.send(JSON.stringify(full), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(full.envelope_id);
        reject(err);
      });
    });
  }

  /**
   * Slack's `disconnect` message on every connection: the client closes it and reconnects through
   * apps.connections.open. `refresh_requested` is what Slack sends before recycling a connection.
   */
  requestReconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    for (const socket of this.sockets) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: debugHost() } }));
    }
  }

  /** Closes every connection (code 1001, going away) and fails sends still waiting for an ack. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`Socket Mode: simulator closed before envelope ${id} was acked`));
    }
    this.pending.clear();
    await Promise.all(
      [...this.sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.close(1001, 'simulator closing');
            // A peer that never answers the close frame must not hold the simulator open.
            setTimeout(() => socket.terminate(), 500).unref();
          }),
      ),
    );
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    this.connectionsOpened += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // A broken peer ends in 'close'; without a listener 'error' would throw.
    socket.on('error', () => socket.terminate());
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: debugHost(), build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.opts.appId },
      }),
    );
  }

  /** Acks are `{envelope_id, payload?}`; anything else is ignored, as Slack does. */
  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(rawText(data));
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    const { envelope_id, payload } = message as { envelope_id?: unknown; payload?: unknown };
    if (typeof envelope_id !== 'string') return;
    const pending = this.pending.get(envelope_id);
    if (!pending) return; // late (after the deadline) or unknown: Slack drops these too
    this.pending.delete(envelope_id);
    clearTimeout(pending.timer);
    const isObject = typeof payload === 'object' && payload !== null && !Array.isArray(payload);
    pending.resolve({ envelope_id, ...(isObject ? { payload: payload as JsonObject } : {}), ms: performance.now() - pending.sentAt });
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** Slack names the server holding the connection, e.g. `applink-7fc4fdbb7c-bd8s4`. */
function debugHost(): string {
  return `applink-simulator-${process.pid}`;
}
