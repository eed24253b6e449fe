/**
 * aedes authorization hooks as thin adapters over the permission rule (cloud/domain/permissions).
 * A forbidden SUBSCRIBE gets 0x80 in the SUBACK [MQTT-3.9.3]; a forbidden PUBLISH closes the
 * connection (3.1.1 has no negative PUBACK) and is never forwarded; forwarding re-checks every
 * message against the receiver, so a stored subscription can never deliver outside the rule.
 */
import type { AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import { parseDeviceTopic } from '../../protocol/topics.js';
import { mqttMayPublish, mqttMayReceive, mqttMaySubscribe } from '../domain/permissions.js';
import { infoOf, type ClientInfo } from './authenticate.js';

export interface DeviceHandlers {
  /** Handles an allowed device publish; calls `done` when the PUBACK may be sent. */
  onDevicePublish(info: ClientInfo, kind: string, payload: Buffer, done: () => void): void;
  onRefused(what: 'subscribe' | 'publish'): void;
}

export function createAuthorizers(h: DeviceHandlers) {
  return {
    authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
      if (!client) return callback(null); // the registry's own publishes
      const info = infoOf(client);
      if (!info || !mqttMayPublish(info.who, packet.topic)) {
        h.onRefused('publish');
        return callback(new Error('publish not allowed on this topic'));
      }
      // Device topics are never retained: only the registry's ownership messages are.
      packet.retain = false;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      h.onDevicePublish(info, parseDeviceTopic(packet.topic)!.kind, payload, () => callback(null));
    },

    authorizeSubscribe(client: Client, sub: Subscription, callback: (error: Error | null, sub?: Subscription | null) => void): void {
      const info = infoOf(client);
      if (!info || !mqttMaySubscribe(info.who, sub.topic)) {
        h.onRefused('subscribe');
        return callback(null, null);
      }
      callback(null, { ...sub, qos: Math.min(sub.qos, 1) as 0 | 1 });
    },

    authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
      const info = infoOf(client);
      return info && mqttMayReceive(info.who, packet.topic) ? packet : null;
    },
  };
}
