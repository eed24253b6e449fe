/**
 * The registry's side of the device conversation: retained ownership messages (pushed on every
 * move and settings change, re-published at start and whenever a hello shows an older one), and
 * the `hello` and `ownership/ack` a device sends.
 */
import type { Logger } from 'pino';
import { HelloSchema, OwnershipAckSchema, type Ownership, type Settings } from '../../protocol/messages.js';
import { deviceTopic } from '../../protocol/topics.js';
import { pathIds } from '../domain/permissions.js';
import { effectiveSettings } from '../domain/settings.js';
import type { AccountStore } from '../store/account-store.js';
import type { DeviceLinkStore, LinkedDevice } from '../store/device-link-store.js';
import { parseSettings } from '../services/accounts.js';

export type Publish = (topic: string, payload: Buffer, opts: { qos: 0 | 1; retain: boolean }) => Promise<void>;

export interface DeviceMessagesDeps {
  links: DeviceLinkStore;
  accounts: AccountStore;
  publish: Publish;
  log: Logger;
  now: () => number;
}

export class DeviceMessages {
  private readonly log: Logger;

  constructor(private readonly deps: DeviceMessagesDeps) {
    this.log = deps.log.child({ mod: 'ownership' });
  }

  /** The ownership message of a device, with its effective settings (nearest account wins). */
  ownershipOf(dev: LinkedDevice, cache = new Map<string, Settings>()): Ownership {
    const ids = pathIds(dev.account_path);
    const missing = ids.filter((id) => !cache.has(id));
    for (const row of this.deps.accounts.byIds(missing)) cache.set(row.id, parseSettings(row.settings));
    const chain = ids.reverse().map((id) => cache.get(id) ?? {});
    return { accountId: dev.account_id, epoch: dev.epoch, issuedAt: dev.issued_at, settings: effectiveSettings(chain) };
  }

  async push(devices: readonly LinkedDevice[]): Promise<void> {
    const cache = new Map<string, Settings>();
    await Promise.all(
      devices.map((d) =>
        this.deps.publish(deviceTopic(d.unit_id, 'ownership'), Buffer.from(JSON.stringify(this.ownershipOf(d, cache))), { qos: 1, retain: true }),
      ),
    );
  }

  /** aedes keeps retained messages in memory: publish every device's again at start. */
  async republishAll(): Promise<number> {
    let after = '';
    let n = 0;
    for (;;) {
      const page = this.deps.links.livePage(after, 1000);
      if (page.length === 0) return n;
      await this.push(page);
      n += page.length;
      after = page[page.length - 1]!.id;
    }
  }

  /** `hello`: lastSeen, agent version, VIN, queue health; re-push an ownership it lacks. */
  async onHello(dev: LinkedDevice, payload: Buffer): Promise<boolean> {
    const hello = HelloSchema.safeParse(safeJson(payload));
    if (!hello.success || hello.data.unitId !== dev.unit_id) {
      this.log.warn({ unitId: dev.unit_id }, 'hello that fails its schema; ignored');
      return false;
    }
    const h = hello.data;
    this.deps.links.recordHello(dev.id, {
      lastSeen: this.deps.now(),
      agentVersion: h.agentVersion,
      vin: h.vin ?? null,
      queue: h.queue ? JSON.stringify(h.queue) : null,
    });
    if (h.epoch < dev.epoch || (h.epoch === dev.epoch && h.issuedAt < dev.issued_at)) await this.push([dev]);
    return true;
  }

  /** `ownership/ack`: record what the agent applied; stale or future acks are ignored and logged. */
  onOwnershipAck(dev: LinkedDevice, payload: Buffer): boolean {
    const ack = OwnershipAckSchema.safeParse(safeJson(payload));
    if (!ack.success) {
      this.log.warn({ unitId: dev.unit_id }, 'ownership/ack that fails its schema; ignored');
      return false;
    }
    const { epoch, issuedAt } = ack.data;
    this.deps.links.touchLastSeen(dev.id, this.deps.now());
    if (epoch !== dev.epoch || issuedAt !== dev.issued_at) {
      this.log.info({ unitId: dev.unit_id, epoch, issuedAt, current: dev.epoch }, 'stale or future ownership/ack ignored');
      return true;
    }
    this.deps.links.recordApplied(dev.id, epoch, issuedAt);
    return true;
  }
}

export function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
