import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../agent/config.js';

const noFiles = (path: string): string => {
  throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
};
const base = { AGENT_MQTT_URL: 'mqtts://registry.example:8883', AGENT_SECRET: 's3cret' };

function errorOf(env: Record<string, string>, read = noFiles): string {
  try {
    loadConfig(env, read);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('agent loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const c = loadConfig(base, noFiles);
    expect(c).toMatchObject({
      mqttUrl: 'mqtts://registry.example:8883',
      unitId: undefined,
      secret: 's3cret',
      stateDir: '/var/lib/fleet-agent',
      obd: { port: undefined, baudRate: 38400 },
      gnss: { port: undefined, baudRate: 9600 },
      simulate: false,
      queue: { fullPolicy: 'drop-oldest' },
      board: { serialPath: '/sys/firmware/devicetree/base/serial-number', cpuinfoPath: '/proc/cpuinfo' },
      logLevel: 'info',
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.queue)).toBe(true);
  });

  it.each(['mqtt://h:1883', 'mqtts://h', 'ws://h/mqtt', 'wss://h/mqtt'])('accepts %s', (url) => {
    expect(loadConfig({ ...base, AGENT_MQTT_URL: url }, noFiles).mqttUrl).toBe(url);
  });

  it('names every bad variable in one line', () => {
    const msg = errorOf({
      AGENT_MQTT_URL: 'http://h',
      AGENT_UNIT_ID: 'ABC',
      AGENT_OBD_BAUD: 'fast',
      AGENT_SIMULATE: 'yes',
      AGENT_QUEUE_FULL_POLICY: 'panic',
      AGENT_QUEUE_MAX_BYTES: '-1',
    });
    expect(msg).not.toContain('\n');
    for (const name of ['AGENT_MQTT_URL', 'AGENT_UNIT_ID', 'AGENT_OBD_BAUD', 'AGENT_SIMULATE', 'AGENT_QUEUE_FULL_POLICY', 'AGENT_QUEUE_MAX_BYTES', 'AGENT_SECRET']) {
      expect(msg).toContain(name);
    }
    expect(msg).toContain('mqtt://, mqtts://, ws:// or wss://');
    expect(msg).toContain('drop-oldest or drop-newest');
    expect(msg).toContain('AGENT_OBD_BAUD: a baud rate, e.g. 9600 or 38400');
  });

  it('says what a missing URL takes', () => {
    expect(errorOf({ AGENT_SECRET: 'x' })).toMatch(/AGENT_MQTT_URL: required: a URL starting with mqtt:\/\//);
  });

  it('reads and trims AGENT_SECRET_FILE and never echoes the secret in errors', () => {
    const read = (p: string) => (p === '/etc/fleet-agent/secret' ? 'hunter2-long-secret\n' : noFiles(p));
    const c = loadConfig({ AGENT_MQTT_URL: 'mqtt://h', AGENT_SECRET_FILE: '/etc/fleet-agent/secret' }, read);
    expect(c.secret).toBe('hunter2-long-secret');
    const msg = errorOf({ AGENT_MQTT_URL: 'nope', AGENT_SECRET_FILE: '/etc/fleet-agent/secret' }, read);
    expect(msg).not.toContain('hunter2');
  });

  it('refuses an unreadable secret or CA file, and both secrets at once', () => {
    expect(errorOf({ AGENT_MQTT_URL: 'mqtt://h', AGENT_SECRET_FILE: '/missing' })).toMatch(/AGENT_SECRET_FILE: cannot read \/missing \(ENOENT\)/);
    expect(errorOf({ ...base, AGENT_CA_FILE: '/missing-ca.pem' })).toMatch(/AGENT_CA_FILE: cannot read/);
    expect(errorOf({ ...base, AGENT_SECRET_FILE: '/x' })).toMatch(/not both/);
  });

  it('parses numbers, simulation and ports', () => {
    const c = loadConfig(
      { ...base, AGENT_SIMULATE: '1', AGENT_OBD_PORT: '/dev/ttyUSB0', AGENT_GNSS_BAUD: '115200', AGENT_QUEUE_MAX_RECORDS: '5000', AGENT_UNIT_ID: '00000000abcdef12', LOG_LEVEL: 'debug' },
      noFiles,
    );
    expect(c.simulate).toBe(true);
    expect(c.obd.port).toBe('/dev/ttyUSB0');
    expect(c.gnss.baudRate).toBe(115200);
    expect(c.queue.maxRecords).toBe(5000);
    expect(c.unitId).toBe('00000000abcdef12');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...base, AGENT_STATE_DIR: '', AGENT_UNIT_ID: '' }, noFiles).stateDir).toBe('/var/lib/fleet-agent');
  });
});
