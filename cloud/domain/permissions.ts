/**
 * The permission rule, top-down and only in that direction (CONTRACT.md, "The permission rule").
 * Pure: callers load the facts (the actor's account path and rights, the resource's owner path)
 * and ask `authorize(actor, action)`. One switch over actions, deny by default; "not found" and
 * "not yours" look the same. REST handlers and MQTT hooks are thin adapters over this module;
 * nothing else re-implements the rule.
 *
 * Accounts are identified by their materialized path `/rootId/.../id/`: an account sees another
 * iff the other's path starts with its own.
 */
import { DEVICE_PUBLISHES, DEVICE_SUBSCRIBES, filterIsUnder, parseDeviceTopic, type DeviceTopicKind } from '../../protocol/topics.js';

export type DeviceAccess = 'none' | 'read' | 'full';

export interface Rights {
  deviceAccess: DeviceAccess;
  accountAdmin: boolean;
}

/** A logged-in user, as far as the rule cares. */
export interface Actor extends Rights {
  userId: string;
  accountId: string;
  /** Materialized path of the actor's account. */
  accountPath: string;
}

/** The answer: allow, or the status the caller gets (404 hides, 403 refuses). */
export type Decision = 'allow' | 'not-found' | 'forbidden';

export type Action =
  | { kind: 'account.read'; path: string }
  | { kind: 'account.create'; parentPath: string }
  | { kind: 'account.rename'; path: string }
  | { kind: 'account.settings'; path: string }
  | { kind: 'account.delete'; path: string }
  | { kind: 'user.list'; accountPath: string }
  | { kind: 'user.create'; accountPath: string; grant: Rights }
  | { kind: 'user.update'; accountPath: string; current: Rights; grant: Rights }
  | { kind: 'user.delete'; accountPath: string; current: Rights }
  | { kind: 'device.read'; ownerPath: string }
  | { kind: 'device.rename'; ownerPath: string }
  | { kind: 'device.register'; targetPath: string }
  | { kind: 'device.decommission'; ownerPath: string }
  | { kind: 'device.reassign-into'; targetPath: string }
  | { kind: 'device.reassign'; ownerPath: string; targetPath: string }
  | { kind: 'telemetry.read'; attributedPath: string }
  | { kind: 'audit.read' };

/** True when the account at `path` is `ancestorPath` or below it. */
export function within(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}

/** Depth of a materialized path: `/root/` is 0. */
export function pathDepth(path: string): number {
  return path.split('/').length - 3;
}

/** The account ids from the root down, for the contract's `topicRoot`. */
export function pathIds(path: string): string[] {
  return path.split('/').filter(Boolean);
}

const RANK: Record<DeviceAccess, number> = { none: 0, read: 1, full: 2 };

/** No escalation: `grant` holds no right `holder` lacks. */
export function mayGrant(holder: Rights, grant: Rights): boolean {
  return RANK[grant.deviceAccess] <= RANK[holder.deviceAccess] && (!grant.accountAdmin || holder.accountAdmin);
}

export function seesAccount(actor: Actor, path: string): boolean {
  return within(path, actor.accountPath);
}

export function seesDevice(actor: Actor, ownerPath: string): boolean {
  return actor.deviceAccess !== 'none' && within(ownerPath, actor.accountPath);
}

/** Admins of the root account: the fleet operator. */
export function isRootAdmin(actor: Actor): boolean {
  return actor.accountAdmin && pathDepth(actor.accountPath) === 0;
}

const ok = (cond: boolean, otherwise: Decision): Decision => (cond ? 'allow' : otherwise);

/** Visible first (else 404), then allowed (else 403). */
function gate(visible: boolean, allowed: boolean): Decision {
  if (!visible) return 'not-found';
  return ok(allowed, 'forbidden');
}

export function authorize(actor: Actor, action: Action): Decision {
  const admin = actor.accountAdmin;
  switch (action.kind) {
    case 'account.read':
      return gate(seesAccount(actor, action.path), true);
    case 'account.create':
      return gate(seesAccount(actor, action.parentPath), admin);
    case 'account.rename':
    case 'account.delete':
      // Strictly inside: an admin may not rename or delete its own account.
      return gate(seesAccount(actor, action.path), admin && action.path !== actor.accountPath);
    case 'account.settings':
      return gate(seesAccount(actor, action.path), admin);
    case 'user.list':
      return gate(seesAccount(actor, action.accountPath), admin);
    case 'user.create':
      return gate(seesAccount(actor, action.accountPath), admin && mayGrant(actor, action.grant));
    case 'user.update':
      // A weaker admin may not manage a stronger user, nor grant what it lacks.
      return gate(
        seesAccount(actor, action.accountPath),
        admin && mayGrant(actor, action.current) && mayGrant(actor, action.grant),
      );
    case 'user.delete':
      return gate(seesAccount(actor, action.accountPath), admin && mayGrant(actor, action.current));
    case 'device.read':
      return gate(seesDevice(actor, action.ownerPath), true);
    case 'device.rename':
      return gate(seesDevice(actor, action.ownerPath), actor.deviceAccess === 'full');
    case 'device.register':
      return gate(seesAccount(actor, action.targetPath), isRootAdmin(actor));
    case 'device.decommission':
      return gate(seesDevice(actor, action.ownerPath), isRootAdmin(actor));
    case 'device.reassign-into':
      return gate(seesAccount(actor, action.targetPath), admin && actor.deviceAccess === 'full');
    case 'device.reassign':
      return gate(
        seesDevice(actor, action.ownerPath) && seesAccount(actor, action.targetPath),
        admin && actor.deviceAccess === 'full',
      );
    case 'telemetry.read':
      return gate(seesDevice(actor, action.attributedPath), true);
    case 'audit.read':
      return ok(admin, 'forbidden');
    default:
      return 'not-found';
  }
}

// --- MQTT (CONTRACT.md, MQTT section): the same rule, asked by the broker's hooks.

/** Who is on an MQTT connection, as far as the rule cares. */
export type MqttIdentity =
  | { kind: 'device'; unitId: string }
  | { kind: 'user'; actor: Actor; topicRoot: string };

// The contract's lists, from protocol/topics.ts where every topic is defined.
const DEVICE_MAY_PUBLISH = new Set<DeviceTopicKind>(DEVICE_PUBLISHES);
const DEVICE_MAY_SUBSCRIBE = new Set<DeviceTopicKind>(DEVICE_SUBSCRIBES);

/** A device publishes only its own `hello`, `ownership/ack` and `telemetry`; users publish nothing. */
export function mqttMayPublish(who: MqttIdentity, topic: string): boolean {
  if (who.kind !== 'device') return false;
  const ref = parseDeviceTopic(topic);
  return ref !== undefined && ref.unitId === who.unitId && DEVICE_MAY_PUBLISH.has(ref.kind);
}

/**
 * A device subscribes only to its own `ownership` and `telemetry/ack` (exact topics: a wildcard
 * never parses as a device topic); a user only to filters strictly under its own topicRoot, and
 * only with device access.
 */
export function mqttMaySubscribe(who: MqttIdentity, filter: string): boolean {
  if (who.kind === 'device') {
    const ref = parseDeviceTopic(filter);
    return ref !== undefined && ref.unitId === who.unitId && DEVICE_MAY_SUBSCRIBE.has(ref.kind);
  }
  return who.actor.deviceAccess !== 'none' && filterIsUnder(filter, who.topicRoot);
}

/**
 * What may be delivered to a connection: the subscribe rule applied to each concrete topic. A
 * published topic holds no wildcard (aedes refuses them in PUBLISH, [MQTT-3.3.2-2]), so for users
 * the filter check reduces to "strictly under the topicRoot" (this runs for every delivery).
 */
export function mqttMayReceive(who: MqttIdentity, topic: string): boolean {
  if (who.kind === 'device') return mqttMaySubscribe(who, topic);
  return who.actor.deviceAccess !== 'none' && topic.length > who.topicRoot.length + 1 && topic.startsWith(`${who.topicRoot}/`);
}
