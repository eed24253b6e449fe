/**
 * A real registry with its embedded broker listening on 127.0.0.1 ephemeral ports (MQTT over TCP
 * and WebSocket at /mqtt), plus real mqtt clients for devices and users.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { startBroker, type BrokerHandle } from '../../cloud/mqtt/broker.js';
import { startRegistry, type RegistryOptions, type TestRegistry } from './registry.js';

export interface MqttRegistry extends TestRegistry {
  broker: BrokerHandle;
  mqttUrl: string;
  wsUrl: string;
  httpPort: number;
  /** Registers a device through REST as root; answers its id and secret. */
  register(unitId: string, accountId?: string): Promise<{ id: string; secret: string }>;
  /** Moves devices through the bulk Process as root. */
  assign(accountId: string, deviceIds: string[], token?: string): Promise<unknown>;
  /** A connected device client (clean=false, client id = username = unit id). */
  device(unitId: string, secret: string, opts?: mqtt.IClientOptions): Promise<MqttClient>;
  /** A connected user client (client id u-...). */
  user(email: string, token: string, opts?: mqtt.IClientOptions): Promise<MqttClient>;
  clients: MqttClient[];
}

let n = 0;

export async function startMqttRegistry(opts: RegistryOptions = {}): Promise<MqttRegistry> {
  const reg = await startRegistry({ ...opts, env: { MQTT_PORT: '0', HOST: '127.0.0.1', ...opts.env } });
  const config = reg.services.ctx.config;
  const broker = await startBroker({ app: reg.app, config, log: reg.services.ctx.log, host: '127.0.0.1' });
  await reg.app.http.listen({ host: '127.0.0.1', port: 0 });
  const addr = reg.app.http.server.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : 0;
  const clients: MqttClient[] = [];
  const mqttUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;

  const connect = (o: mqtt.IClientOptions) =>
    new Promise<MqttClient>((resolve, reject) => {
      const c = mqtt.connect(mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...o });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('error', reject);
      c.once('close', () => reject(new Error('closed before CONNACK')));
    });

  const register: MqttRegistry['register'] = async (unitId, accountId) => {
    const a = await reg.req('POST', '/v1/devices', { token: reg.rootToken, body: { unitId, ...(accountId ? { accountId } : {}) } });
    if (a.status !== 201) throw new Error(`register: ${a.status} ${a.text}`);
    return { id: a.body.id, secret: a.body.secret };
  };
  const assign: MqttRegistry['assign'] = async (accountId, deviceIds, token = reg.rootToken) => {
    const a = await reg.req('POST', '/v1/devices/assign', { token, body: { accountId, deviceIds } });
    if (a.status !== 200) throw new Error(`assign: ${a.status} ${a.text}`);
    return a.body;
  };

  return {
    ...reg,
    broker,
    mqttUrl,
    wsUrl: `ws://127.0.0.1:${httpPort}/mqtt`,
    httpPort,
    clients,
    register,
    assign,
    device: (unitId, secret, o = {}) => connect({ clientId: unitId, username: unitId, password: secret, clean: false, ...o }),
    user: (email, token, o = {}) => connect({ clientId: `u-${process.pid}-${++n}`, username: email, password: token, ...o }),
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await broker.close();
      await reg.close();
    },
  };
}

/** The next message a client receives on `topic`, parsed as JSON. */
export function nextMessage(client: MqttClient, topic: string): Promise<any> {
  return new Promise((resolve) => {
    const on = (t: string, p: Buffer) => {
      if (t !== topic) return;
      client.off('message', on);
      resolve(JSON.parse(p.toString()));
    };
    client.on('message', on);
  });
}
