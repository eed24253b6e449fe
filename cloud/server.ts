/**
 * The only entry of the registry: load the configuration, open the database, start the HTTP API
 * and the embedded MQTT broker, and close everything on SIGTERM/SIGINT within 5 seconds.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startBroker, type BrokerHandle } from './mqtt/broker.js';
import { ensureRoot } from './services/bootstrap.js';
import { startCheckpointer } from './store/checkpointer.js';
import { openDb } from './store/db.js';

function readTls(config: Config): { cert: Buffer; key: Buffer } | undefined {
  if (!config.TLS_CERT || !config.TLS_KEY) return undefined;
  try {
    return { cert: readFileSync(config.TLS_CERT), key: readFileSync(config.TLS_KEY) };
  } catch (e) {
    throw new ConfigError(`bad configuration: TLS_CERT/TLS_KEY: cannot read (${(e as Error).message})`);
  }
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const tls = readTls(config);
  const log = pino({ level: config.LOG_LEVEL, redact: ['req.headers.authorization', '*.password', '*.secret', '*.token'] });
  const db = openDb(config.DATA_DIR, undefined, log);
  const checkpointer = startCheckpointer(db, { log }); // WAL checkpoints off the request path
  const app = await buildApp({ config, db, log, ...(tls ? { https: tls } : {}) });
  const boot = await ensureRoot(app.services.ctx, { ...(config.ADMIN_EMAIL ? { email: config.ADMIN_EMAIL } : {}), ...(config.ADMIN_PASSWORD ? { password: config.ADMIN_PASSWORD } : {}) });
  if (boot.generatedPassword) {
    // Printed once on the terminal, outside the structured log (which never holds a secret).
    process.stderr.write(`\n  First start: root administrator ${boot.email}\n  password: ${boot.generatedPassword}\n  (shown once; change it with PATCH /v1/me)\n\n`);
  }
  const broker: BrokerHandle = await startBroker({ app, config, log, ...(tls ? { tls } : {}) });
  await app.http.listen({ host: config.HOST, port: config.HTTP_PORT });
  log.info({ mod: 'server', http: config.HTTP_PORT, mqtt: broker.mqttPort }, 'registry ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ mod: 'server', signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 5000).unref();
    await broker.close();
    await app.http.close();
    await checkpointer.stop();
    db.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') {
    process.stderr.write(`cannot listen: ${err.message}; set HTTP_PORT/MQTT_PORT to a free port\n`);
    process.exit(2);
  }
  process.stderr.write(`registry failed to start: ${err.stack ?? String(e)}\n`);
  process.exit(1);
});
