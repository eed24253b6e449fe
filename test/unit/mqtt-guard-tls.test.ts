import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import type { RejectReason } from '../../cloud/mqtt/framing-guard.js';
import { listenTls, type ListenerHandle } from '../../cloud/mqtt/listeners.js';
import { closedWithin, rawConnect } from './mqtt-guard-helpers.js';

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI when it exists. */
function makeCert(dir: string): { cert: Buffer; key: Buffer } | undefined {
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore', timeout: 10_000 });
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } catch {
    return undefined;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mqtt-guard-tls-'));
const pem = makeCert(dir);

describe.skipIf(!pem)('MQTT over TLS behind the framing guard', () => {
  let aedes: Aedes;
  let listener: ListenerHandle;
  const rejects: RejectReason[] = [];

  beforeAll(async () => {
    aedes = await Aedes.createBroker();
    listener = await listenTls(aedes, {
      host: '127.0.0.1', port: 0, ...pem!, guard: { connectTimeoutMs: 300, onReject: (r) => rejects.push(r) },
    });
  });
  afterAll(async () => {
    await listener.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a QoS 1 round trip over mqtts', async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${listener.port}`, {
      protocolVersion: 4, clientId: 'tls-client', ca: pem!.cert, reconnectPeriod: 0,
    });
    await client.subscribeAsync('tls/t', { qos: 1 });
    const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())));
    await client.publishAsync('tls/t', 'hi', { qos: 1 });
    expect(await got).toBe('hi');
    await client.endAsync(true);
  });

  it('closes a TLS connection whose first packet is not CONNECT', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: listener.port, ca: pem!.cert });
    socket.on('error', () => {});
    await once(socket, 'secureConnect');
    socket.write(Buffer.from([0x82, 0xff, 0xff, 0xff, 0x7f]));
    await closedWithin(socket as never, 1000);
    expect(rejects).toContain('first-not-connect');
  });

  it('closes a connection that never starts the TLS handshake within the connect timeout', async () => {
    const socket = await rawConnect(listener.port); // and says nothing (Node's default wait: 120 s)
    expect(await closedWithin(socket, 3000)).toBeGreaterThanOrEqual(250);
  });

  it('close() ends live TLS connections, mid-handshake or connected', async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${listener.port}`, {
      protocolVersion: 4, clientId: 'tls-closing', ca: pem!.cert, reconnectPeriod: 0,
    });
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const silent = await rawConnect(listener.port);
    const silentClosed = closedWithin(silent, 1000);
    await listener.close();
    await Promise.all([clientClosed, silentClosed]);
    await client.endAsync(true);
  });
});
