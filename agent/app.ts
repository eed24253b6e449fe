/**
 * Wires the agent: unit id, ownership state, durable queue, clock, reading sources and uplink.
 * Process concerns (env, signals, exit codes) stay in main.ts; tests drive this class directly.
 *
 * Every reading becomes a record: stamped by the clock (`data.clock: "unsynced"` before any
 * trustworthy time), tagged with the epoch held at that instant (0 before any ownership), on disk
 * in the queue, then sent by the uplink.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_SETTINGS, type EffectiveSettings } from '../protocol/messages.js';
import { readUnitId } from './board/unit-id.js';
import { AgentClock } from './clock.js';
import type { AgentConfig } from './config.js';
import type { DurableQueue } from './queue/queue.js';
import { SqliteQueue } from './queue/sqlite-queue.js';
import type { Reading, ReadingSource, TimeHint, VehicleInfo } from './sources.js';
import { OwnershipStore } from './state/ownership-state.js';
import { StatusSource } from './status-source.js';
import { Uplink, type UplinkOptions } from './uplink/uplink.js';

/** Tunables of the uplink that tests and main may override; see UplinkOptions for defaults. */
export type UplinkTuning = Partial<Pick<UplinkOptions, 'backoff' | 'ackTimeoutMs' | 'connectTimeoutMs' | 'keepaliveS' | 'batchRecords'>>;

/** What the agent is built from. */
export interface AgentDeps {
  config: AgentConfig;
  log: Logger;
  agentVersion: string;
  /** The vehicle's sources (OBD, GNSS, ...), built by main. */
  sources: ReadingSource[];
  /** The VIN for `hello`, when a source knows it. */
  vehicle?: VehicleInfo;
  /** GNSS UTC, for a board whose clock is not synced yet. */
  timeHint?: TimeHint;
  /** Default a real {@link AgentClock}. */
  clock?: AgentClock;
  uplink?: UplinkTuning;
  /** Milliseconds between the agent's own `status` readings; 0 disables them. Default 60 000. */
  statusIntervalMs?: number;
  /** Total time stop() may take, flushing included (contract: 5 s). Default 5 000 ms. */
  stopBudgetMs?: number;
}

export class AgentApp {
  private queue: DurableQueue | undefined;
  private ownership: OwnershipStore | undefined;
  private uplink: Uplink | undefined;
  private sources: ReadingSource[] = [];
  private unitIdValue = '';
  private readonly log: Logger;
  private readonly clock: AgentClock;

  constructor(private readonly deps: AgentDeps) {
    this.log = deps.log.child({ mod: 'agent' });
    this.clock = deps.clock ?? new AgentClock();
  }

  get unitId(): string {
    return this.unitIdValue;
  }

  /** The queue's stream id (after start). */
  get stream(): string {
    return this.queue?.stream ?? '';
  }

  async start(): Promise<void> {
    const { config } = this.deps;
    this.unitIdValue = config.unitId ?? readUnitId(config.board);
    this.ownership = new OwnershipStore(config.stateDir);
    this.loadOwnership(this.ownership);
    const queue = new SqliteQueue({
      path: join(config.stateDir, 'queue.db'),
      limits: { maxBytes: config.queue.maxBytes, maxRecords: config.queue.maxRecords, policy: config.queue.fullPolicy },
    });
    queue.open();
    this.queue = queue;
    this.log.info({ unitId: this.unitIdValue, stream: queue.stream, queue: queue.health(), epoch: this.ownership.current()?.epoch ?? 0 }, 'agent starting');
    this.uplink = new Uplink({
      url: config.mqttUrl,
      unitId: this.unitIdValue,
      secret: config.secret,
      agentVersion: this.deps.agentVersion,
      ...(config.caFile ? { ca: readFileSync(config.caFile) } : {}),
      queue,
      ownership: this.ownership,
      log: this.deps.log,
      onOwnership: (o) => this.applySettings(o.settings),
      vin: () => this.deps.vehicle?.vin() ?? null,
      ...this.deps.uplink,
    });
    this.uplink.start();
    if (this.deps.timeHint) this.clock.attach(this.deps.timeHint);
    await this.startSources(queue);
  }

  private loadOwnership(store: OwnershipStore): void {
    try {
      store.load();
    } catch (err) {
      // Only a hand-edited file gets here (writes are atomic); epoch 0 until the retained message.
      this.log.error({ err: (err as Error).message }, 'ownership state unreadable; starting without one');
    }
  }

  private async startSources(queue: DurableQueue): Promise<void> {
    const statusMs = this.deps.statusIntervalMs ?? 60_000;
    this.sources = [...this.deps.sources];
    if (statusMs > 0) this.sources.push(new StatusSource({ intervalMs: statusMs, health: () => queue.health() }));
    const settings = this.ownership?.current()?.settings ?? DEFAULT_SETTINGS;
    for (const source of this.sources) {
      source.applySettings(settings);
      await source.start((reading) => this.record(reading));
    }
  }

  private applySettings(settings: EffectiveSettings): void {
    for (const source of this.sources) {
      try {
        source.applySettings(settings);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'a source could not apply the settings');
      }
    }
  }

  /** One reading becomes one durable record (see file comment). */
  private record(reading: Reading): void {
    const queue = this.queue;
    if (!queue) return;
    const stamp = this.clock.now();
    const data = stamp.synced ? reading.data : { ...reading.data, clock: 'unsynced' };
    const epoch = this.ownership?.current()?.epoch ?? 0;
    try {
      queue.append({ kind: reading.kind, data, ts: stamp.ts, epoch });
    } catch (err) {
      this.log.error({ err: (err as Error).message, kind: reading.kind }, 'reading not queued');
      return;
    }
    this.uplink?.kick();
  }

  /** Stops sources (closing ports), flushes what it can within the budget, closes the queue. */
  async stop(): Promise<void> {
    const deadline = Date.now() + (this.deps.stopBudgetMs ?? 5_000);
    const sources = this.sources;
    this.sources = [];
    await withTimeout(Promise.allSettled(sources.map((s) => s.stop())), 1_500);
    const uplink = this.uplink;
    if (uplink) {
      const flushed = await uplink.drain(Math.max(0, deadline - Date.now() - 1_000));
      if (!flushed) this.log.info({ queue: this.queue?.health() }, 'stopping with records still queued; they are sent after restart');
      await uplink.stop();
    }
    this.queue?.close();
    this.queue = undefined;
    this.log.info('agent stopped');
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
