/**
 * Live telemetry over MQTT 3.1.1 on WebSocket at `/mqtt` (CONTRACT.md, MQTT): username = the
 * user's email, password = the session token, client id `u-` + random (only `u-` ids are users),
 * subscribed to the device's telemetry at every level below the caller's `topicRoot`
 * (protocol/topics.ts deviceLiveFilters), so the broker's own fan-out delivers what the caller's
 * account may see of this device, and nothing of the others. The MQTT client is loaded only when a
 * device page opens, keeping the first load small.
 */
import type { MqttClient } from 'mqtt';
import { useEffect, useState } from 'preact/hooks';
import { deviceLiveFilters } from '../../../protocol/topics.js';
import { sessionToken, type Me, type TelemetryRecord } from './api.js';

export type LiveState = 'connecting' | 'live' | 'offline' | 'refused';

/** Most records kept on screen. */
const KEEP = 50;

interface LivePayload {
  unitId?: unknown;
  records?: unknown;
}

function randomClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `u-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function brokerUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/mqtt`;
}

/** Records of `unitId` arriving live, newest first. */
export function useLiveTelemetry(me: Me, unitId: string | undefined): { state: LiveState; records: TelemetryRecord[] } {
  const [state, setState] = useState<LiveState>('connecting');
  const [records, setRecords] = useState<TelemetryRecord[]>([]);
  useEffect(() => {
    const token = sessionToken();
    if (!unitId || !token) return;
    let client: MqttClient | undefined;
    let closed = false;
    void import('mqtt').then(({ default: mqtt }) => {
      if (closed) return;
      client = mqtt.connect(brokerUrl(), {
        username: me.user.email,
        password: token,
        clientId: randomClientId(),
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 5000,
        connectTimeout: 10_000,
      });
      client.on('connect', () => {
        setState('live');
        client?.subscribe(deviceLiveFilters(me.topicRoot, me.account.depth, unitId), { qos: 0 }, (err, granted) => {
          // [MQTT-3.9.3] 0x80 in the SUBACK is a refusal (no device access).
          if (err || granted?.some((g) => g.qos === 128)) setState('refused');
        });
      });
      client.on('offline', () => setState('offline'));
      client.on('error', () => setState('offline'));
      client.on('message', (_topic, payload) => {
        const batch = parse(payload);
        if (batch?.unitId !== unitId) return;
        setRecords((old) => [...batch.records.slice().reverse(), ...old].slice(0, KEEP));
      });
    });
    return () => {
      closed = true;
      client?.end(true);
    };
  }, [unitId, me.user.email, me.topicRoot, me.account.depth]);
  return { state, records };
}

function parse(payload: Uint8Array): { unitId: string; records: TelemetryRecord[] } | undefined {
  try {
    const p = JSON.parse(new TextDecoder().decode(payload)) as LivePayload;
    if (typeof p.unitId !== 'string' || !Array.isArray(p.records)) return undefined;
    const records = p.records.filter((r): r is TelemetryRecord => Boolean(r) && typeof (r as TelemetryRecord).ts === 'number');
    return { unitId: p.unitId, records };
  } catch {
    return undefined;
  }
}
