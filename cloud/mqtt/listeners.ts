import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PACKET_BYTES,
  guardStream,
  resolveGuardOptions,
  type GuardOptions,
} from './framing-guard.js';

/**
 * The broker's listeners: MQTT over TCP, TLS and WebSocket, every connection behind the framing
 * guard. Each returns a handle whose close() stops accepting and ends every live connection.
 */

/** A running listener. */
export interface ListenerHandle {
  /** The bound port (useful with port 0); 0 for a WebSocket attached to someone else's server. */
  readonly port: number;
  /** Stops accepting and destroys every live connection of this listener. */
  close(): Promise<void>;
}

/** Options of {@link listenTcp}. */
export interface TcpListenOptions {
  /** Interface to bind. Default: all interfaces (Node's default). */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Framing guard options (maximum packet size, connect timeout, onReject). Default: guard defaults. */
  guard?: GuardOptions;
  /**
   * Connections accepted at once; Node closes any beyond it on accept. Each connection may hold
   * up to one maximum-size packet in aedes' parser, so this bounds the broker's worst-case memory
   * at about maxConnections x maxPacketBytes. Default: unlimited.
   */
  maxConnections?: number;
  /**
   * Server errors after listening, e.g. `accept` failing with EMFILE under a connection flood;
   * without a listener Node would crash the process on them. Default: ignored.
   */
  onError?: (err: Error) => void;
}

/** Options of {@link listenTls}. */
export interface TlsListenOptions extends TcpListenOptions {
  /** PEM certificate chain. */
  cert: string | Buffer;
  /** PEM private key. */
  key: string | Buffer;
}

/** Options of {@link attachWebSocket}. */
export interface WebSocketOptions {
  /** Upgrade path served; other paths answer 404. Default `/mqtt` (CONTRACT.md). */
  path?: string;
  /** Framing guard options. Default: guard defaults. */
  guard?: GuardOptions;
}

/** Subprotocols of MQTT over WebSocket: `mqtt` (MQTT 3.1.1, 6.0) and `mqttv3.1` (older clients). */
const WS_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

/** MQTT over TCP (1883). */
export function listenTcp(aedes: Aedes, opts: TcpListenOptions): Promise<ListenerHandle> {
  // Nagle's algorithm with delayed ACKs adds up to 40 ms to a QoS 1 round trip of small packets.
  const server = net.createServer({ noDelay: true });
  return serve(aedes, server, 'connection', opts);
}

/** MQTT over TLS (8883). The TLS handshake gets the same time budget as the CONNECT. */
export function listenTls(aedes: Aedes, opts: TlsListenOptions): Promise<ListenerHandle> {
  const server = tls.createServer({
    cert: opts.cert,
    key: opts.key,
    noDelay: true,
    handshakeTimeout: opts.guard?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
  // Node 20 emits a failed or timed-out handshake here but leaves the socket open: close it.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return serve(aedes, server, 'secureConnection', opts);
}

async function serve(
  aedes: Aedes,
  server: net.Server,
  event: 'connection' | 'secureConnection',
  opts: TcpListenOptions,
): Promise<ListenerHandle> {
  const guard = resolveGuardOptions(opts.guard);
  if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;
  // Tracked from accept on, so close() also ends connections still in their TLS handshake.
  const live = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    live.add(socket);
    socket.once('close', () => live.delete(socket));
  });
  server.on(event, (socket: net.Socket) => aedes.handle(guardStream(socket, guard)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', opts.onError ?? (() => {}));
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of live) socket.destroy();
      }),
  };
}

/**
 * MQTT over WebSocket on an existing HTTP(S) server, at `path` only (ws 8, `noServer`). It owns the
 * server's upgrades: other paths answer 404. A WebSocket message may carry at most one
 * maximum-size packet.
 */
export function attachWebSocket(
  aedes: Aedes,
  httpServer: HttpServer | HttpsServer,
  opts: WebSocketOptions = {},
): ListenerHandle {
  const path = opts.path ?? '/mqtt';
  const guard = resolveGuardOptions(opts.guard);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: (guard.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES) + 5, // + type byte and 4 length bytes
    perMessageDeflate: false, // a small compressed frame must not inflate past the guard's limits
    handleProtocols: (offered) => WS_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (pathOf(req) !== path) return refuseUpgrade(socket, '404 Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => handleWebSocket(aedes, ws, req, guard));
  };
  httpServer.on('upgrade', onUpgrade);
  return {
    port: 0,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.off('upgrade', onUpgrade);
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

function handleWebSocket(aedes: Aedes, ws: WebSocket, req: IncomingMessage, guard: GuardOptions): void {
  // Protocol errors (oversized or malformed frames) close the socket; they must not crash us.
  ws.on('error', () => ws.terminate());
  const stream = createWebSocketStream(ws);
  const remoteAddress = req.socket.remoteAddress;
  aedes.handle(guardStream(stream, remoteAddress ? { ...guard, remoteAddress } : guard), req);
}

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
