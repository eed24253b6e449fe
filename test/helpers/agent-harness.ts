/**
 * A tiny agent entry for the power-cut test: the real AgentApp (config from the environment, real
 * queue, state and uplink) fed by a synthetic fast source, so a child process can be SIGKILLed at
 * random instants. Each reading carries `{run, n}` (n counts from 0 in each run), so the test can
 * tell that every reading that was made reached the registry.
 * Env: the agent's variables, plus HARNESS_RUN (a label) and HARNESS_INTERVAL_MS (0 = no readings).
 */
import { pino } from 'pino';
import { AgentApp } from '../../agent/app.js';
import { loadConfig } from '../../agent/config.js';
import type { ReadingSink, ReadingSource } from '../../agent/sources.js';

class SyntheticSource implements ReadingSource {
  private timer: NodeJS.Timeout | undefined;
  private n = 0;
  constructor(
    private readonly run: string,
    private readonly intervalMs: number,
  ) {}
  async start(sink: ReadingSink): Promise<void> {
    if (this.intervalMs > 0) this.timer = setInterval(() => sink({ kind: 'synthetic', data: { run: this.run, n: this.n++ } }), this.intervalMs);
  }
  applySettings(): void {}
  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}

const config = loadConfig(process.env);
const app = new AgentApp({
  config,
  log: pino({ level: config.logLevel }, pino.destination(2)),
  agentVersion: '0.0.0-harness',
  sources: [new SyntheticSource(process.env.HARNESS_RUN ?? 'run', Number(process.env.HARNESS_INTERVAL_MS ?? '5'))],
  statusIntervalMs: 0,
  uplink: { backoff: { minMs: 20, maxMs: 200 }, ackTimeoutMs: 1_000, connectTimeoutMs: 2_000 },
});
await app.start();
process.stdout.write(`started ${app.stream}\n`);
process.once('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
