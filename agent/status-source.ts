/**
 * The agent's own `status` readings: uptime, queue health and memory, so an operator sees a unit
 * that is alive but has no vehicle data (ignition off, adapter unplugged).
 */
import type { QueueHealth } from '../protocol/messages.js';
import type { ReadingSink, ReadingSource } from './sources.js';

/** Options of {@link StatusSource}. */
export interface StatusSourceOptions {
  /** Milliseconds between two status readings. Default 60 000. */
  intervalMs?: number;
  /** The queue's health at the time of the reading. */
  health: () => QueueHealth;
  /** Seconds since the process started. Default process.uptime. */
  uptimeS?: () => number;
}

export class StatusSource implements ReadingSource {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StatusSourceOptions) {}

  async start(sink: ReadingSink): Promise<void> {
    const { intervalMs = 60_000, health, uptimeS = process.uptime } = this.options;
    this.timer = setInterval(() => {
      const q = health();
      sink({
        kind: 'status',
        data: {
          uptimeS: Math.round(uptimeS()),
          queueDepth: q.depth,
          queueOldestTs: q.oldestTs,
          queueDropped: q.dropped,
          rssBytes: process.memoryUsage.rss(),
        },
      });
    }, intervalMs);
  }

  applySettings(): void {
    // The status cadence is the agent's own, not the account's telemetry interval.
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
