/**
 * The embedded aedes broker: TCP on MQTT_PORT, WebSocket at /mqtt on the HTTP server, TLS on
 * MQTTS_PORT when configured; every connection behind the framing guard.
 */
import { Aedes } from 'aedes';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { App } from '../app.js';
import type { Config } from '../config.js';
import { attachWebSocket, listenTcp, listenTls, type ListenerHandle } from './listeners.js';

export interface BrokerDeps {
  app: App;
  config: Config;
  log: Logger;
  tls?: { cert: Buffer; key: Buffer };
}

export interface BrokerHandle {
  aedes: Aedes;
  mqttPort: number;
  close(): Promise<void>;
}

export async function startBroker(deps: BrokerDeps): Promise<BrokerHandle> {
  const aedes = await Aedes.createBroker();
  const guard = { onReject: (reason: string) => deps.app.metrics.mqttRefused.inc({ what: `frame-${reason}` }) };
  const listeners: ListenerHandle[] = [];
  const tcp = await listenTcp(aedes, { host: deps.config.HOST, port: deps.config.MQTT_PORT, guard });
  listeners.push(tcp);
  if (deps.tls) listeners.push(await listenTls(aedes, { host: deps.config.HOST, port: deps.config.MQTTS_PORT, ...deps.tls, guard }));
  listeners.push(attachWebSocket(aedes, deps.app.http.server as HttpServer, { guard }));
  return {
    aedes,
    mqttPort: tcp.port,
    async close() {
      await Promise.all(listeners.map((l) => l.close()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
