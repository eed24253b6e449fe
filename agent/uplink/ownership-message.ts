/**
 * One `v1/devices/{unitId}/ownership` message (contract, MQTT section): applied when its epoch is
 * newer than the one held, or equal with a newer `issuedAt`; persisted atomically BEFORE anyone
 * acknowledges it; one already held is acknowledged again; an older one is ignored.
 */
import type { Logger } from 'pino';
import { OwnershipSchema, type Ownership, type OwnershipAck } from '../../protocol/messages.js';
import { compareOwnership, type OwnershipStore } from '../state/ownership-state.js';

/**
 * Handles a parsed JSON payload. Returns the `ownership/ack` to publish, or undefined when there is
 * nothing to acknowledge (invalid, older, or not persisted).
 */
export function handleOwnershipMessage(
  json: unknown,
  store: OwnershipStore,
  log: Logger,
  onApplied?: (ownership: Ownership) => void,
): OwnershipAck | undefined {
  const msg = OwnershipSchema.safeParse(json);
  if (!msg.success) {
    log.warn({ issues: msg.error.issues.length }, 'ignored an invalid ownership message');
    return undefined;
  }
  const o = msg.data;
  const verdict = compareOwnership(o, store.current());
  if (verdict === 'older') {
    log.debug({ epoch: o.epoch, issuedAt: o.issuedAt }, 'ignored an older ownership message');
    return undefined;
  }
  if (verdict === 'newer') {
    try {
      store.save(o); // durable before the ack: an acknowledged epoch survives a power cut
    } catch (err) {
      log.error({ err: (err as Error).message }, 'could not persist the ownership; not acknowledging it');
      return undefined;
    }
    log.info({ epoch: o.epoch, issuedAt: o.issuedAt }, 'applied ownership');
    onApplied?.(o);
  }
  return { epoch: o.epoch, issuedAt: o.issuedAt };
}
