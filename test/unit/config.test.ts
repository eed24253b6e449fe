/**
 * The registry's configuration (issue 3, "Config"): parsed once with zod, defaults as the README
 * says, and a bad value is one line naming every bad variable and what it takes.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../cloud/config.js';

function failure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has the documented defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      HTTP_PORT: 8080, MQTT_PORT: 1883, MQTTS_PORT: 8883, DATA_DIR: './data', LOG_LEVEL: 'info', MAX_DEPTH: 16,
      TELEMETRY_RETENTION_DAYS: 90, SESSION_TTL_MINUTES: 720,
    });
    expect(c.METRICS_TOKEN).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads values from text and treats empty variables as unset', () => {
    const c = loadConfig({ HTTP_PORT: '0', MAX_DEPTH: '3', DATA_DIR: '/tmp/x', METRICS_TOKEN: '', LOG_LEVEL: 'silent' });
    expect(c).toMatchObject({ HTTP_PORT: 0, MAX_DEPTH: 3, DATA_DIR: '/tmp/x', LOG_LEVEL: 'silent' });
    expect(c.METRICS_TOKEN).toBeUndefined();
  });

  it.each([
    ['HTTP_PORT', 'abc'], ['HTTP_PORT', '65536'], ['HTTP_PORT', '-1'], ['HTTP_PORT', '80.5'], ['MQTT_PORT', 'x'],
    ['MAX_DEPTH', '0'], ['MAX_DEPTH', '65'], ['LOG_LEVEL', 'loud'], ['ADMIN_EMAIL', 'not-an-email'],
    ['METRICS_TOKEN', 'short'], ['TELEMETRY_RETENTION_DAYS', '0'], ['SESSION_TTL_MINUTES', 'forever'],
  ])('%s=%s is refused in one line naming it', (name, value) => {
    const msg = failure({ [name]: value });
    expect(msg).not.toContain('\n');
    expect(msg).toContain(`${name}:`);
  });

  it('names every bad variable at once', () => {
    const msg = failure({ HTTP_PORT: 'abc', LOG_LEVEL: 'loud', MAX_DEPTH: '0' });
    for (const name of ['HTTP_PORT', 'LOG_LEVEL', 'MAX_DEPTH']) expect(msg).toContain(name);
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('needs TLS_CERT and TLS_KEY together, and ADMIN_EMAIL with ADMIN_PASSWORD', () => {
    expect(failure({ TLS_CERT: '/x.pem' })).toContain('TLS_CERT');
    expect(failure({ TLS_KEY: '/x.key' })).toContain('TLS_CERT');
    expect(failure({ ADMIN_PASSWORD: 'long-enough-pw' })).toContain('ADMIN_EMAIL');
    expect(failure({ ADMIN_EMAIL: 'a@b.example', ADMIN_PASSWORD: 'short' })).toContain('ADMIN_PASSWORD');
    expect(loadConfig({ TLS_CERT: '/x.pem', TLS_KEY: '/x.key' }).TLS_KEY).toBe('/x.key');
  });

  it('never echoes a secret value in the error', () => {
    const msg = failure({ METRICS_TOKEN: 'shh-secret', ADMIN_EMAIL: 'a@b.example', ADMIN_PASSWORD: 'pw1' });
    expect(msg).not.toContain('shh-secret');
    expect(msg).not.toContain('pw1');
  });
});
