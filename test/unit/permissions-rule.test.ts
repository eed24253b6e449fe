/**
 * The pure permission rule (cloud/domain/permissions.ts) against the contract, table-driven (every
 * action x role x position of the target in the tree) and property-based on random trees against
 * an independent reference model that walks parent pointers instead of comparing paths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorize, mayGrant, type Action, type Actor, type Rights } from '../../cloud/domain/permissions.js';
import {
  ROLES, refAccount, refIsRootAdmin, refMayGrant, refSeesAccount, refSeesDevice, refUser, roleName,
  type ParentMap, type RefActor, type RefDecision,
} from '../helpers/reference-rule.js';

// R ─┬─ P ─┬─ A ── C ── GC        the actor sits in A (or in R for the root cases)
//    │     ├─ S                   sibling
//    │     └─ Ax                  sibling whose id starts with A's id (prefix trap)
//    └─ U ── UC                   uncle and cousin
// X                               another tree altogether
const PARENTS: ParentMap = new Map<string, string | null>([
  ['R', null], ['P', 'R'], ['A', 'P'], ['C', 'A'], ['GC', 'C'], ['S', 'P'], ['Ax', 'P'], ['U', 'R'], ['UC', 'U'], ['X', null],
]);

function pathOf(tree: ParentMap, id: string): string {
  const ids: string[] = [];
  for (let at: string | null | undefined = id; at; at = tree.get(at)) ids.unshift(at);
  return `/${ids.join('/')}/`;
}

const POSITIONS_NESTED = {
  self: 'A', parent: 'P', child: 'C', 'grand-child': 'GC', sibling: 'S', 'prefix-sibling': 'Ax', uncle: 'U', cousin: 'UC', unrelated: 'X', root: 'R',
} as const;
const POSITIONS_ROOT = { self: 'R', child: 'P', 'grand-child': 'A', 'great-grand-child': 'GC', unrelated: 'X' } as const;
const PLACEMENTS = { nested: { at: 'A', positions: POSITIONS_NESTED }, root: { at: 'R', positions: POSITIONS_ROOT } } as const;

const actorAt = (tree: ParentMap, accountId: string, r: Rights): Actor => ({
  userId: 'u', accountId, accountPath: pathOf(tree, accountId), ...r,
});

/** Every (action, expected) pair for one actor over every target position in the table. */
function* cases(tree: ParentMap, ref: RefActor, targets: readonly string[]): Generator<[string, Action, RefDecision]> {
  const p = (id: string) => pathOf(tree, id);
  for (const t of targets) {
    yield [`account.read ${t}`, { kind: 'account.read', path: p(t) }, refAccount(tree, ref, 'read', t)];
    yield [`account.create under ${t}`, { kind: 'account.create', parentPath: p(t) }, refAccount(tree, ref, 'create', t)];
    yield [`account.rename ${t}`, { kind: 'account.rename', path: p(t) }, refAccount(tree, ref, 'rename', t)];
    yield [`account.settings ${t}`, { kind: 'account.settings', path: p(t) }, refAccount(tree, ref, 'settings', t)];
    yield [`account.delete ${t}`, { kind: 'account.delete', path: p(t) }, refAccount(tree, ref, 'delete', t)];
    yield [`user.list ${t}`, { kind: 'user.list', accountPath: p(t) }, refUser(tree, ref, 'list', t)];
    for (const current of ROLES) {
      const cn = roleName(current);
      yield [`user.create ${cn} in ${t}`, { kind: 'user.create', accountPath: p(t), grant: current }, refUser(tree, ref, 'create', t, current, current)];
      yield [`user.delete ${cn} in ${t}`, { kind: 'user.delete', accountPath: p(t), current }, refUser(tree, ref, 'delete', t, current)];
      for (const grant of ROLES) {
        yield [`user.update ${cn}->${roleName(grant)} in ${t}`, { kind: 'user.update', accountPath: p(t), current, grant }, refUser(tree, ref, 'update', t, current, grant)];
      }
    }
    yield* deviceCases(tree, ref, t, targets);
  }
  yield ['audit.read', { kind: 'audit.read' }, ref.accountAdmin ? 'allow' : 'forbidden'];
}

/** Devices: the contract's rules written out independently of the module. */
function* deviceCases(tree: ParentMap, ref: RefActor, owner: string, targets: readonly string[]): Generator<[string, Action, RefDecision]> {
  const p = (id: string) => pathOf(tree, id);
  const seesDev = refSeesDevice(tree, ref, owner);
  const seesAcc = refSeesAccount(tree, ref, owner);
  const gate = (visible: boolean, allowed: boolean): RefDecision => (!visible ? 'not-found' : allowed ? 'allow' : 'forbidden');
  const mover = ref.accountAdmin && ref.deviceAccess === 'full';
  yield [`device.read owned by ${owner}`, { kind: 'device.read', ownerPath: p(owner) }, gate(seesDev, true)];
  yield [`device.rename owned by ${owner}`, { kind: 'device.rename', ownerPath: p(owner) }, gate(seesDev, ref.deviceAccess === 'full')];
  yield [`device.register into ${owner}`, { kind: 'device.register', targetPath: p(owner) }, gate(seesAcc, refIsRootAdmin(tree, ref))];
  yield [`device.decommission owned by ${owner}`, { kind: 'device.decommission', ownerPath: p(owner) }, gate(seesDev, refIsRootAdmin(tree, ref))];
  yield [`device.reassign-into ${owner}`, { kind: 'device.reassign-into', targetPath: p(owner) }, gate(seesAcc, mover)];
  yield [`telemetry.read attributed to ${owner}`, { kind: 'telemetry.read', attributedPath: p(owner) }, gate(seesDev, true)];
  for (const target of targets) {
    const both = seesDev && refSeesAccount(tree, ref, target);
    yield [`device.reassign ${owner}->${target}`, { kind: 'device.reassign', ownerPath: p(owner), targetPath: p(target) }, gate(both, mover)];
  }
}

describe('authorize: every action x role x position', () => {
  for (const [placement, { at, positions }] of Object.entries(PLACEMENTS)) {
    describe(`actor in the ${placement} account`, () => {
      it.each(ROLES.map((r) => [roleName(r), r] as const))('%s', (_name, rights) => {
        const actor = actorAt(PARENTS, at, rights);
        const ref: RefActor = { accountId: at, ...rights };
        const wrong: string[] = [];
        let n = 0;
        for (const [what, action, expected] of cases(PARENTS, ref, Object.values(positions))) {
          n++;
          const got = authorize(actor, action);
          if (got !== expected) wrong.push(`${what}: got ${got}, expected ${expected}`);
        }
        expect(wrong).toEqual([]);
        expect(n).toBeGreaterThan(100);
      });
    });
  }
});

describe('the positions, spelled out', () => {
  const admin = actorAt(PARENTS, 'A', { deviceAccess: 'full', accountAdmin: true });
  const read = (id: string) => authorize(admin, { kind: 'account.read', path: pathOf(PARENTS, id) });
  const rename = (id: string) => authorize(admin, { kind: 'account.rename', path: pathOf(PARENTS, id) });

  it('sees itself and everything below, nothing above or beside (404, not 403)', () => {
    expect(['A', 'C', 'GC'].map(read)).toEqual(['allow', 'allow', 'allow']);
    expect(['P', 'R', 'S', 'Ax', 'U', 'UC', 'X'].map(read)).toEqual(Array(7).fill('not-found'));
  });

  it('renames strictly inside only: its own account is 403, its children are allowed', () => {
    expect(rename('A')).toBe('forbidden');
    expect(rename('C')).toBe('allow');
    expect(rename('GC')).toBe('allow');
    expect(rename('S')).toBe('not-found');
  });

  it('a read admin cannot create a full user, and cannot manage one', () => {
    const readAdmin = actorAt(PARENTS, 'A', { deviceAccess: 'read', accountAdmin: true });
    const full = { deviceAccess: 'full', accountAdmin: false } as const;
    const path = pathOf(PARENTS, 'C');
    expect(authorize(readAdmin, { kind: 'user.create', accountPath: path, grant: full })).toBe('forbidden');
    expect(authorize(readAdmin, { kind: 'user.delete', accountPath: path, current: full })).toBe('forbidden');
    expect(authorize(readAdmin, { kind: 'user.create', accountPath: path, grant: { deviceAccess: 'read', accountAdmin: true } })).toBe('allow');
  });

  it('only root admins register devices', () => {
    const rootAdmin = actorAt(PARENTS, 'R', { deviceAccess: 'read', accountAdmin: true });
    expect(authorize(rootAdmin, { kind: 'device.register', targetPath: pathOf(PARENTS, 'GC') })).toBe('allow');
    expect(authorize(admin, { kind: 'device.register', targetPath: pathOf(PARENTS, 'C') })).toBe('forbidden');
  });
});

// --- property: random trees against the reference model

interface RandomTree {
  parents: Map<string, string | null>;
  ids: string[];
}

/** Half the nodes extend the last one (so depth reaches the cap), half hang anywhere. */
const treeArb = fc
  .array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 100, maxLength: 400 })
  .map((choices): RandomTree => {
    // Ids like n1, n10, n100 share prefixes on purpose: a path test without separators would fail.
    const ids = ['n0'];
    const parents = new Map<string, string | null>([['n0', null]]);
    const depth = [0];
    choices.forEach(([chain, pick], k) => {
      const i = k + 1;
      let parent = chain ? i - 1 : pick % i;
      while (depth[parent]! >= 16) parent = ids.indexOf(parents.get(ids[parent]!)!);
      ids.push(`n${i}`);
      parents.set(`n${i}`, ids[parent]!);
      depth.push(depth[parent]! + 1);
    });
    return { parents, ids };
  });

const rightsArb = fc.record({ deviceAccess: fc.constantFrom('none', 'read', 'full' as const), accountAdmin: fc.boolean() });

describe('authorize on random trees (depth up to 16, hundreds of accounts)', () => {
  it('matches the reference model for every action', () => {
    fc.assert(
      fc.property(treeArb, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), rightsArb, rightsArb, rightsArb), { minLength: 30, maxLength: 30 }), (tree, picks) => {
        const maxDepth = Math.max(...tree.ids.map((id) => pathOf(tree.parents, id).split('/').length - 3));
        expect(maxDepth).toBeLessThanOrEqual(16);
        for (const [a, t, u, rights, current, grant] of picks) {
          const at = tree.ids[a % tree.ids.length]!;
          const target = tree.ids[t % tree.ids.length]!;
          const other = tree.ids[u % tree.ids.length]!;
          const actor = actorAt(tree.parents, at, rights);
          const ref: RefActor = { accountId: at, ...rights };
          const p = (id: string) => pathOf(tree.parents, id);
          expect(authorize(actor, { kind: 'account.read', path: p(target) })).toBe(refAccount(tree.parents, ref, 'read', target));
          expect(authorize(actor, { kind: 'account.delete', path: p(target) })).toBe(refAccount(tree.parents, ref, 'delete', target));
          expect(authorize(actor, { kind: 'account.create', parentPath: p(target) })).toBe(refAccount(tree.parents, ref, 'create', target));
          expect(authorize(actor, { kind: 'user.update', accountPath: p(target), current, grant })).toBe(refUser(tree.parents, ref, 'update', target, current, grant));
          expect(authorize(actor, { kind: 'user.create', accountPath: p(target), grant })).toBe(refUser(tree.parents, ref, 'create', target, grant, grant));
          const both = refSeesDevice(tree.parents, ref, target) && refSeesAccount(tree.parents, ref, other);
          const mover = rights.accountAdmin && rights.deviceAccess === 'full';
          expect(authorize(actor, { kind: 'device.reassign', ownerPath: p(target), targetPath: p(other) })).toBe(!both ? 'not-found' : mover ? 'allow' : 'forbidden');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('mayGrant agrees with the reference on every pair of roles', () => {
    for (const holder of ROLES) for (const grant of ROLES) expect(mayGrant(holder, grant), `${roleName(holder)} grants ${roleName(grant)}`).toBe(refMayGrant(holder, grant));
  });
});
