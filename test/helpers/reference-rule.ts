/**
 * A small, independent reference model of the permission rule (CONTRACT.md, "The permission rule"),
 * for tests only. It knows the tree by parent pointers and decides "sees" with an ancestor walk,
 * never with paths, so it shares no code or representation with cloud/domain/permissions.ts.
 */
import type { DeviceAccess, Rights } from '../../cloud/domain/permissions.js';

export type RefDecision = 'allow' | 'not-found' | 'forbidden';

/** account id -> parent id (null for a root). */
export type ParentMap = ReadonlyMap<string, string | null>;

export const LEVELS: readonly DeviceAccess[] = ['none', 'read', 'full'];

/** Every combination of rights: the six roles. */
export const ROLES: readonly Rights[] = LEVELS.flatMap((deviceAccess) =>
  [false, true].map((accountAdmin) => ({ deviceAccess, accountAdmin })),
);

export const roleName = (r: Rights) => `${r.deviceAccess}${r.accountAdmin ? '-admin' : ''}`;

/** True when `ancestor` is `id` or lies on the walk from `id` up to its root. */
export function isSelfOrAncestor(tree: ParentMap, ancestor: string, id: string | undefined): boolean {
  let at: string | null | undefined = id;
  let steps = 0;
  while (at !== null && at !== undefined) {
    if (at === ancestor) return true;
    at = tree.get(at);
    if (++steps > 10_000) throw new Error('cycle in reference tree');
  }
  return false;
}

/** Holder may hand out `grant`: no right above its own. */
export function refMayGrant(holder: Rights, grant: Rights): boolean {
  const level = (a: DeviceAccess) => LEVELS.indexOf(a);
  if (level(grant.deviceAccess) > level(holder.deviceAccess)) return false;
  if (grant.accountAdmin && !holder.accountAdmin) return false;
  return true;
}

export interface RefActor extends Rights {
  accountId: string;
}

/** What the caller gets: hidden (404) unless visible, refused (403) unless allowed. */
function decide(visible: boolean, allowed: boolean): RefDecision {
  if (!visible) return 'not-found';
  return allowed ? 'allow' : 'forbidden';
}

export function refSeesAccount(tree: ParentMap, actor: RefActor, accountId: string | undefined): boolean {
  return isSelfOrAncestor(tree, actor.accountId, accountId);
}

export function refSeesDevice(tree: ParentMap, actor: RefActor, ownerId: string | undefined): boolean {
  return actor.deviceAccess !== 'none' && refSeesAccount(tree, actor, ownerId);
}

export const refIsRootAdmin = (tree: ParentMap, actor: RefActor) => actor.accountAdmin && tree.get(actor.accountId) === null;

/** Accounts: read, create below, rename, settings, delete. */
export function refAccount(tree: ParentMap, actor: RefActor, kind: 'read' | 'create' | 'rename' | 'settings' | 'delete', target: string): RefDecision {
  const sees = refSeesAccount(tree, actor, target);
  switch (kind) {
    case 'read':
      return decide(sees, true);
    case 'create':
    case 'settings':
      return decide(sees, actor.accountAdmin);
    case 'rename':
    case 'delete':
      return decide(sees, actor.accountAdmin && target !== actor.accountId);
  }
}

/** Users of an account: list, create (grant), update (current -> grant), delete (current). */
export function refUser(
  tree: ParentMap,
  actor: RefActor,
  kind: 'list' | 'create' | 'update' | 'delete',
  accountId: string,
  current: Rights = { deviceAccess: 'none', accountAdmin: false },
  grant: Rights = current,
): RefDecision {
  const sees = refSeesAccount(tree, actor, accountId);
  const admin = actor.accountAdmin;
  switch (kind) {
    case 'list':
      return decide(sees, admin);
    case 'create':
      return decide(sees, admin && refMayGrant(actor, grant));
    case 'update':
      return decide(sees, admin && refMayGrant(actor, current) && refMayGrant(actor, grant));
    case 'delete':
      return decide(sees, admin && refMayGrant(actor, current));
  }
}
