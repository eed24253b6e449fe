/**
 * With TLS_CERT/TLS_KEY the registry serves HTTPS, MQTT over TLS on MQTTS_PORT and WSS at /mqtt,
 * all with the same certificate; clients that trust the CA connect, a device logs in over each.
 * Needs the `openssl` command (Debian package openssl) for a throwaway certificate.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../cloud/app.js';
import { loadConfig } from '../../cloud/config.js';
import { startBroker, type BrokerHandle } from '../../cloud/mqtt/broker.js';
import { ensureRoot } from '../../cloud/services/bootstrap.js';
import { openDb, type Db } from '../../cloud/store/db.js';

describe('registry over TLS', () => {
  let dir: string;
  let app: App;
  let db: Db;
  let broker: BrokerHandle;
  let ca: Buffer;
  let httpsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'registry-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
    ca = readFileSync(join(dir, 'cert.pem'));
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', MQTT_PORT: '0', MQTTS_PORT: '0', HOST: '127.0.0.1', TLS_CERT: join(dir, 'cert.pem'), TLS_KEY: join(dir, 'key.pem') });
    db = openDb(dir);
    const log = pino({ level: 'silent' });
    const tls = { cert: ca, key: readFileSync(join(dir, 'key.pem')) };
    app = await buildApp({ config, db, log, https: tls });
    await ensureRoot(app.services.ctx, { email: 'tls@test.local', password: 'tls-password-1' });
    broker = await startBroker({ app, config, log, tls, host: '127.0.0.1' });
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.http.server.address();
    httpsPort = typeof addr === 'object' && addr ? addr.port : 0;
  });
  afterAll(async () => {
    await broker?.close();
    await app?.http.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const https = (method: string, path: string, body?: object, token?: string) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: httpsPort, path, method, ca, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });

  it('serves HTTPS, MQTTS and WSS', async () => {
    expect((await https('GET', '/healthz')).status).toBe(200);
    const token = (await https('POST', '/v1/auth/login', { email: 'tls@test.local', password: 'tls-password-1' })).body.token as string;
    const dev = (await https('POST', '/v1/devices', { unitId: '0000aa00bb00cc01' }, token)).body;
    expect(broker.mqttsPort).toBeGreaterThan(0);
    for (const url of [`mqtts://127.0.0.1:${broker.mqttsPort}`, `wss://127.0.0.1:${httpsPort}/mqtt`]) {
      const c = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: dev.unitId, username: dev.unitId, password: dev.secret, ca, reconnectPeriod: 0 });
      const got = new Promise<any>((resolve) => c.on('message', (_t, p) => resolve(JSON.parse(p.toString()))));
      await c.subscribeAsync(`v1/devices/${dev.unitId}/ownership`, { qos: 1 });
      expect((await got).epoch).toBe(dev.epoch);
      await c.endAsync(true);
    }
  });
});
