/**
 * Every MQTT topic of the contract is built and parsed here; no topic string is written anywhere
 * else. MQTT 3.1.1: topic levels are separated by `/`, `+` and `#` are wildcards in filters only.
 */

/** Lower-case hex, 12 to 32 characters: the hardware unit id of a device. */
export const UNIT_ID_RE = /^[0-9a-f]{12,32}$/;

/** The device-side topic kinds under `v1/devices/{unitId}/`. */
export const DEVICE_TOPIC_KINDS = ['hello', 'ownership', 'ownership/ack', 'telemetry', 'telemetry/ack'] as const;
export type DeviceTopicKind = (typeof DEVICE_TOPIC_KINDS)[number];

/** Kinds a device may publish, and kinds it may subscribe to (contract, MQTT section). */
export const DEVICE_PUBLISHES: readonly DeviceTopicKind[] = ['hello', 'ownership/ack', 'telemetry'];
export const DEVICE_SUBSCRIBES: readonly DeviceTopicKind[] = ['ownership', 'telemetry/ack'];

export function deviceTopic(unitId: string, kind: DeviceTopicKind): string {
  return `v1/devices/${unitId}/${kind}`;
}

/** Parses a concrete topic (no wildcards) under `v1/devices/`; undefined when it is not one. */
export function parseDeviceTopic(topic: string): { unitId: string; kind: DeviceTopicKind } | undefined {
  const prefix = 'v1/devices/';
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const unitId = rest.slice(0, slash);
  const kind = rest.slice(slash + 1);
  if (!UNIT_ID_RE.test(unitId)) return undefined;
  if (!(DEVICE_TOPIC_KINDS as readonly string[]).includes(kind)) return undefined;
  return { unitId, kind: kind as DeviceTopicKind };
}

/** `v1/accounts/` followed by the account ids from the root down to the account. */
export function topicRoot(accountIdsFromRoot: readonly string[]): string {
  return `v1/accounts/${accountIdsFromRoot.join('/')}`;
}

/** Where live telemetry attributed to an account is fanned out to its users (and ancestors). */
export function accountTelemetryTopic(root: string, unitId: string): string {
  return `${root}/devices/${unitId}/telemetry`;
}

/** The deepest nesting the registry can be configured for (MAX_DEPTH; the root is depth 0). */
export const MAX_NESTING = 64;

/**
 * Filters that receive one device's live telemetry wherever inside the subscriber's subtree its
 * records are attributed: `{root}/devices/{unitId}/telemetry`, `{root}/+/devices/{unitId}/telemetry`
 * and so on, one per level down to {@link MAX_NESTING}. MQTT 3.1.1 allows `#` only as the last
 * level (§4.7.1.2), so without these a console showing one device would subscribe to `{root}/#`
 * and receive the telemetry of every device below it. A few kB in one SUBSCRIBE.
 */
export function deviceLiveFilters(root: string, rootDepth: number, unitId: string): string[] {
  const levels = Math.max(0, MAX_NESTING - rootDepth);
  return Array.from({ length: levels + 1 }, (_, k) => accountTelemetryTopic(root + '/+'.repeat(k), unitId));
}

/**
 * True when `filter` only matches topics strictly under `root/` (MQTT 3.1.1 §4.7). A filter whose
 * first levels equal the root's levels cannot match anything outside it, because `+` and `#` after
 * those levels only widen what lies below. Filters that start with a wildcard, use `$`, or are
 * malformed ([MQTT-4.7.1-2], [MQTT-4.7.1-3]) are refused.
 */
export function filterIsUnder(filter: string, root: string): boolean {
  if (!isValidFilter(filter)) return false;
  const prefix = `${root}/`;
  if (!filter.startsWith(prefix)) return false;
  return filter.length > prefix.length;
}

/** MQTT 3.1.1 §4.7.1: `#` only last and alone in its level, `+` alone in its level, no NUL. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 65535 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}
