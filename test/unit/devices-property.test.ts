/**
 * The permission rule for devices on random trees (CONTRACT.md, "The permission rule"): random
 * actors list, get, search, rename and assign; every answer is compared with a reference model
 * (parent pointers and an ancestor walk, test/helpers/reference-rule.ts), and after every run the
 * database must agree with the model: owners, epochs, and a sound ownership history.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, Rights } from '../../cloud/domain/permissions.js';
import { AppError } from '../../cloud/errors.js';
import { historyProblems, seedDevices } from '../helpers/devices-harness.js';
import { buildTree, rightsArb, treeShapeArb } from '../helpers/random-tree.js';
import { isSelfOrAncestor, refSeesAccount, refSeesDevice, type ParentMap } from '../helpers/reference-rule.js';
import { startRegistry, testClock, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
const clock = testClock();
beforeAll(async () => {
  reg = await startRegistry({ now: clock.now });
});
afterAll(async () => reg.close());

interface ModelDevice {
  id: string;
  unitId: string;
  name: string;
  owner: string;
  epoch: number;
}

type Op =
  | { kind: 'list'; actor: number; account: number | null; query: number | null; limit: number }
  | { kind: 'get'; actor: number; device: number }
  | { kind: 'rename'; actor: number; device: number; name: string }
  | { kind: 'assign'; actor: number; target: number; picks: { device: number; byUnit: boolean }[]; dryRun: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('list' as const), actor: fc.nat(), account: fc.option(fc.nat()), query: fc.option(fc.nat()), limit: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('get' as const), actor: fc.nat(), device: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), actor: fc.nat(), device: fc.nat(), name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f]/.test(s)) }),
  fc.record({
    kind: fc.constant('assign' as const), actor: fc.nat(), target: fc.nat(),
    picks: fc.array(fc.record({ device: fc.nat(), byUnit: fc.boolean() }), { minLength: 1, maxLength: 5 }), dryRun: fc.boolean(),
  }),
);

const runArb = fc.record({
  shape: treeShapeArb({ minNodes: 2, maxNodes: 7, maxDepth: 4 }),
  devicesPerNode: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 7, maxLength: 7 }),
  // Actors at the top of the tree half the time, so most operations are visible ones.
  actors: fc.array(fc.record({ node: fc.oneof(fc.constant(0), fc.nat()), rights: rightsArb }), { minLength: 1, maxLength: 4 }),
  ops: fc.array(opArb, { minLength: 5, maxLength: 30 }),
});

/** The status a service call ends with (200 or the AppError's), and its value. */
function outcome<T>(f: () => T): { status: number; value?: T; details?: unknown } {
  try {
    return { status: 200, value: f() };
  } catch (e) {
    if (e instanceof AppError) return { status: e.status, details: e.details };
    throw e;
  }
}

const at = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

/** One run: the services answer like the model, op by op. */
class Checker {
  constructor(
    private readonly tree: ParentMap,
    private readonly devices: ModelDevice[],
    private readonly actors: (Actor & Rights)[],
  ) {}

  private sees = (a: Actor, owner: string) => refSeesDevice(this.tree, a, owner);

  list(op: Extract<Op, { kind: 'list' }>, accounts: string[]) {
    const a = at(this.actors, op.actor);
    const account = op.account === null ? undefined : at(accounts, op.account);
    const q = op.query === null || this.devices.length === 0 ? undefined : this.queryOf(at(this.devices, op.query), op.query);
    const walk = () => {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = reg.services.devices.list(a, { limit: op.limit, ...(account ? { accountId: account } : {}), ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
        ids.push(...page.items.map((d) => d.id));
        if (!page.nextCursor) return ids;
        cursor = page.nextCursor;
      }
      throw new Error('pagination does not end');
    };
    const got = outcome(walk);
    if (account && !refSeesAccount(this.tree, a, account)) return expect(got.status).toBe(404);
    const want = this.devices
      .filter((d) => this.sees(a, d.owner) && (!account || isSelfOrAncestor(this.tree, account, d.owner)))
      .filter((d) => !q || [d.unitId, d.id, d.name].some((f) => f.toLowerCase().includes(q.toLowerCase())))
      .map((d) => d.id)
      .sort();
    expect(got.value).toEqual(want);
  }

  /** A substring of one of the device's searchable fields (prefix or inside). */
  private queryOf(d: ModelDevice, n: number): string {
    const field = at([d.unitId, d.id, d.name.trim() || d.unitId], n);
    const start = n % Math.max(1, field.length - 3);
    return field.slice(start, start + 4).trim() || field;
  }

  get(op: Extract<Op, { kind: 'get' }>) {
    const a = at(this.actors, op.actor);
    const d = at(this.devices, op.device);
    const got = outcome(() => reg.services.devices.get(a, d.id));
    if (!this.sees(a, d.owner)) return expect(got.status).toBe(404);
    expect(got.value).toMatchObject({ id: d.id, unitId: d.unitId, name: d.name, accountId: d.owner, epoch: d.epoch });
  }

  rename(op: Extract<Op, { kind: 'rename' }>) {
    const a = at(this.actors, op.actor);
    const d = at(this.devices, op.device);
    const got = outcome(() => reg.services.devices.rename(a, d.id, op.name));
    const want = !this.sees(a, d.owner) ? 404 : a.deviceAccess !== 'full' ? 403 : 200;
    expect(got.status).toBe(want);
    if (want === 200) d.name = op.name;
  }

  assign(op: Extract<Op, { kind: 'assign' }>, accounts: string[]) {
    const a = at(this.actors, op.actor);
    const target = at(accounts, op.target);
    const picks = op.picks.map((p) => ({ d: at(this.devices, p.device), byUnit: p.byUnit }));
    const body = {
      accountId: target,
      deviceIds: picks.filter((p) => !p.byUnit).map((p) => p.d.id),
      unitIds: picks.filter((p) => p.byUnit).map((p) => p.d.unitId).join(' '),
      dryRun: op.dryRun,
    };
    const got = outcome(() => reg.services.assignment.assign(a, body));
    if (!refSeesAccount(this.tree, a, target)) return expect(got.status).toBe(404);
    if (!(a.accountAdmin && a.deviceAccess === 'full')) return expect(got.status).toBe(403);
    const ordered = [...picks.filter((p) => !p.byUnit), ...picks.filter((p) => p.byUnit)];
    const bad = ordered.filter((p, i) => !this.sees(a, p.d.owner) || ordered.findIndex((q) => q.d === p.d) < i);
    if (bad.length > 0) {
      expect(got.status).toBe(400);
      return expect((got.details as unknown[]).length).toBe(bad.length);
    }
    const items = ordered.map(({ d }) => ({ deviceId: d.id, status: d.owner === target ? 'unchanged' : 'moved', from: d.owner, to: target, epoch: d.owner === target ? d.epoch : d.epoch + 1 }));
    expect(got.value!.items.map(({ unitId: _u, ...rest }) => rest)).toEqual(items);
    if (op.dryRun) return;
    for (const { d } of ordered) {
      if (d.owner !== target) d.epoch++;
      d.owner = target;
    }
  }

  /** The database agrees with the model, and every history is sound. */
  verify() {
    for (const d of this.devices) {
      const own = reg.services.devices.ownership(this.rootActor(), d.id);
      expect({ owner: own.accountId, epoch: own.epoch }).toEqual({ owner: d.owner, epoch: d.epoch });
      expect(historyProblems(own.history, { epoch: d.epoch, accountId: d.owner })).toEqual([]);
    }
  }

  private rootActor(): Actor {
    return { userId: reg.rootUserId, accountId: reg.rootAccountId, accountPath: reg.services.ctx.accounts.root()!.path, deviceAccess: 'full', accountAdmin: true };
  }
}

describe('devices on random trees', () => {
  it('list, get, search, rename and assign answer like the reference model', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const root = reg.rootAccountId;
        const tree = await buildTree(reg, reg.rootToken, root, run.shape, new Map([[root, null]]));
        // The root last: an index picks it rarely (nested actors never see it).
        const accounts = [...tree.ids, root];
        const devices: ModelDevice[] = [];
        tree.ids.forEach((id, i) => {
          for (const s of seedDevices(reg.db, id, at(run.devicesPerNode, i), clock.now())) devices.push({ ...s, name: '', owner: id, epoch: 1 });
        });
        for (const d of devices) d.name = (reg.db.prepare('SELECT name FROM devices WHERE id = ?').get(d.id) as { name: string }).name;
        if (devices.length === 0) return;
        const paths = new Map(accounts.map((id) => [id, reg.services.ctx.accounts.get(id)!.path]));
        const actors = run.actors.map(({ node, rights }, i) => {
          const accountId = at(tree.ids, node);
          return { userId: `actor-${i}`, accountId, accountPath: paths.get(accountId)!, ...rights };
        });
        const check = new Checker(tree.parents, devices, actors);
        for (const op of run.ops) {
          clock.advance(7);
          if (op.kind === 'list') check.list(op, accounts);
          else if (op.kind === 'get') check.get(op);
          else if (op.kind === 'rename') check.rename(op);
          else check.assign(op, accounts);
        }
        check.verify();
        // Runs share the registry: park this run's devices so the next run starts clean.
        reg.db.prepare('UPDATE devices SET deleted_at = 1 WHERE deleted_at IS NULL').run();
      }),
      { numRuns: 50, endOnFailure: true },
    );
  });
});
