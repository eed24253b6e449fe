/**
 * AGENT_CA_FILE: the agent trusts a private CA for mqtts, and refuses a broker whose certificate
 * that CA did not sign. Needs the `openssl` command (Debian package openssl) to make the CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentApp } from '../../agent/app.js';
import { loadConfig } from '../../agent/config.js';
import { FakeRegistry } from '../helpers/fake-registry.js';
import { until } from '../helpers/wait.js';

const UNIT = 'e45f01aabbccddee';
const SECRET = 'tls-secret-0123456789';
let dir: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and a server certificate for 127.0.0.1 signed by it. */
function makeCa(name: string): { ca: string; key: Buffer; cert: Buffer } {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name} CA`,
    '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-days', '2',
    '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  return { ca: join(dir, `${name}-ca.pem`), key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-tls-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runAgent(url: string, caFile: string, stateDir: string, lines: string[] = []) {
  const config = loadConfig({ AGENT_MQTT_URL: url, AGENT_UNIT_ID: UNIT, AGENT_SECRET: SECRET, AGENT_STATE_DIR: stateDir, AGENT_CA_FILE: caFile });
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const app = new AgentApp({ config, log, agentVersion: 't', sources: [], statusIntervalMs: 0, stopBudgetMs: 1_500,
    uplink: { backoff: { minMs: 20, maxMs: 100 } } });
  await app.start();
  return app;
}

describe('agent over mqtts with a private CA', () => {
  it('connects when AGENT_CA_FILE signed the broker, and never when it did not', async () => {
    const good = makeCa('fleet');
    const other = makeCa('other');
    const reg = await new FakeRegistry().start(0, { key: good.key, cert: good.cert });
    reg.devices.set(UNIT, SECRET);
    try {
      const lines: string[] = [];
      const wrong = await runAgent(reg.url, other.ca, join(dir, 'state-wrong'), lines);
      await until(() => reg.tlsFailures >= 3, 10_000, 'refused handshakes');
      expect(reg.hellos).toHaveLength(0);
      expect(lines.filter((l) => l.includes('TLS certificate is not trusted (check AGENT_CA_FILE)'))).toHaveLength(1);
      expect(reg.loginAttempts).toBe(0);
      await wrong.stop();
      const right = await runAgent(reg.url, good.ca, join(dir, 'state-right'));
      await until(() => reg.hellos.length === 1, 10_000, 'hello over TLS');
      expect(reg.hellos[0]).toMatchObject({ unitId: UNIT });
      await right.stop();
    } finally {
      await reg.close();
    }
  });
});
