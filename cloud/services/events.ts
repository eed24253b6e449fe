/**
 * In-process events between services and the broker: revocations end live MQTT sessions, moves and
 * settings changes push ownership messages. Typed so a listener cannot mistake a payload.
 */
import { EventEmitter } from 'node:events';

export interface RegistryEvents {
  /** A user was deleted or demoted: end its sessions and MQTT connections. */
  'user-revoked': [userId: string];
  /** One token (session or API) was revoked. */
  'token-revoked': [tokenId: string];
  /** A device was decommissioned or its secret rotated: close its MQTT session. */
  'device-revoked': [unitId: string];
  /** The ownership message of these devices changed (move or settings): publish it again. */
  'ownership-changed': [deviceIds: readonly string[]];
  /** Settings of the accounts under this path changed: re-push every device below. */
  'settings-changed': [path: string];
}

export class RegistryBus extends EventEmitter<RegistryEvents> {}
