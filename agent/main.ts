/**
 * The agent's only entry (`npm run agent`, or `node dist/agent/main.js` under systemd): reads the
 * configuration, builds the sources, runs AgentApp, and stops it cleanly on SIGTERM/SIGINT
 * (flushing what it can within 5 s, closing the ports). Bad configuration, or a board without a
 * readable serial, prints ONE line on stderr and exits with status 2 (systemd does not hide it).
 */
import { pino } from 'pino';
import { AgentApp } from './app.js';
import { UnitIdError } from './board/unit-id.js';
import { buildSources } from './build-sources.js';
import { ConfigError, loadConfig, type AgentConfig } from './config.js';
import { readAgentVersion } from './version.js';

function configOrExit(): AgentConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`fleet-agent: ${err.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const log = pino({ level: config.logLevel, base: { app: 'fleet-agent', pid: process.pid } });
  const built = buildSources(config, log);
  const app = new AgentApp({
    config,
    log,
    agentVersion: readAgentVersion(),
    sources: built.sources,
    ...(built.vehicle ? { vehicle: built.vehicle } : {}),
    ...(built.timeHint ? { timeHint: built.timeHint } : {}),
  });
  try {
    await app.start();
  } catch (err) {
    if (!(err instanceof UnitIdError)) throw err;
    process.stderr.write(`fleet-agent: bad configuration: ${err.message}\n`);
    process.exit(2);
  }
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    app.stop().then(
      () => {
        built.stop();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: (err as Error).message }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet-agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
