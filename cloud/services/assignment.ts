/**
 * The bulk "Process" (CONTRACT.md, `POST /v1/devices/assign`): move up to 10 000 devices, named by
 * device id or unit id, into one account, all or nothing.
 *
 * Order of decisions: the target (404 invisible, 403 without accountAdmin + full access) before any
 * entry is looked at; then every entry is checked and every offending one listed in one 400; then
 * the moves. The plan is computed inside the same IMMEDIATE transaction as the writes, so two
 * registries on one database file (or two requests) cannot both move a device from the same epoch:
 * the second waits for the write lock and plans from the first one's result. A dry run computes
 * the same plan in a read transaction and writes nothing.
 */
import type { z } from 'zod';
import { ASSIGN_MAX_ENTRIES, type AssignBody, type AssignItem } from '../../protocol/api.js';
import { UNIT_ID_RE } from '../../protocol/topics.js';
import { authorize, type Actor } from '../domain/permissions.js';
import { Errors } from '../errors.js';
import type { AccountRow } from '../store/account-store.js';
import type { DeviceRef, DeviceStore } from '../store/device-store.js';
import { recordAudit } from './audit.js';
import type { Context } from './context.js';
import { isId, must } from './guard.js';

type ListName = 'deviceIds' | 'unitIds';

/** One entry of the request after trimming (unit ids and device ids lower-cased). */
interface Entry {
  field: ListName;
  entry: string;
}

/** Why an entry fails the request; unknown and invisible are the same answer (no enumeration). */
export interface EntryProblem extends Entry {
  reason: 'unknown' | 'duplicate' | 'invalid';
}

/** Splits a pasted list on whitespace and commas; an array's items are trimmed the same way. */
export function entriesOf(field: ListName, list: string | readonly string[] | undefined): Entry[] {
  if (list === undefined) return [];
  const parts = typeof list === 'string' ? list.split(/[\s,]+/) : list.map((s) => s.trim());
  // UUIDs are case-insensitive (RFC 9562) and unit ids are lower-case hex by definition.
  return parts.filter((p) => p !== '').map((p) => ({ field, entry: p.toLowerCase() }));
}

/** The deepest account that sees every path given (their common ancestor). */
export function commonAncestor(paths: readonly string[]): string {
  let p = paths[0] ?? '/';
  for (const q of paths) while (!q.startsWith(p)) p = p.slice(0, p.lastIndexOf('/', p.length - 2) + 1);
  return p;
}

const isWellFormed = (e: Entry) => (e.field === 'deviceIds' ? isId(e.entry) : UNIT_ID_RE.test(e.entry));

export class AssignmentService {
  constructor(
    private readonly ctx: Context,
    private readonly store: DeviceStore,
  ) {}

  /** The target's 404/403, decided before the body's 400 (`accountId` raw, as sent). */
  precheck(actor: Actor, accountId: unknown): AccountRow {
    const target = typeof accountId === 'string' && isId(accountId) ? this.ctx.accounts.get(accountId) : undefined;
    must(actor, { kind: 'device.reassign-into', targetPath: target?.path ?? '' }, 'account',
      'moving devices needs account administration and full device access');
    return target!;
  }

  assign(actor: Actor, body: z.infer<typeof AssignBody>): { items: AssignItem[] } {
    const target = this.precheck(actor, body.accountId);
    const entries = [...entriesOf('deviceIds', body.deviceIds), ...entriesOf('unitIds', body.unitIds)];
    if (entries.length === 0) throw Errors.invalid('deviceIds', 'name at least one device (deviceIds or unitIds)');
    if (entries.length > ASSIGN_MAX_ENTRIES) {
      throw Errors.invalid('deviceIds', `at most ${ASSIGN_MAX_ENTRIES} entries per request (got ${entries.length})`, [{ field: 'deviceIds', limit: ASSIGN_MAX_ENTRIES, count: entries.length }]);
    }
    const run = () => {
      const plan = this.plan(actor, target!, entries);
      if (!body.dryRun) this.apply(actor, target!, plan);
      return plan;
    };
    const tx = this.ctx.db.transaction(run);
    const plan = body.dryRun ? tx.deferred() : tx.immediate();
    const moved = plan.filter((p) => p.item.status === 'moved').map((p) => p.item.deviceId);
    if (!body.dryRun && moved.length > 0) this.ctx.bus.emit('ownership-changed', moved);
    return { items: plan.map((p) => p.item) };
  }

  /** Resolves every entry, or throws one 400 listing every offending entry. */
  private plan(actor: Actor, target: AccountRow, entries: readonly Entry[]): { item: AssignItem; from: DeviceRef }[] {
    const problems: EntryProblem[] = [];
    const seenText = new Set<string>();
    const wanted = entries.filter((e) => {
      const key = `${e.field}:${e.entry}`;
      if (!isWellFormed(e)) problems.push({ ...e, reason: 'invalid' });
      else if (seenText.has(key)) problems.push({ ...e, reason: 'duplicate' });
      else return seenText.add(key);
      return false;
    });
    const byId = new Map(this.store.liveByIds(wanted.filter((e) => e.field === 'deviceIds').map((e) => e.entry)).map((r) => [r.id, r]));
    const byUnit = new Map(this.store.liveByUnits(wanted.filter((e) => e.field === 'unitIds').map((e) => e.entry)).map((r) => [r.unit_id, r]));
    const seenDevice = new Set<string>();
    const plan: { item: AssignItem; from: DeviceRef }[] = [];
    for (const e of wanted) {
      const row = e.field === 'deviceIds' ? byId.get(e.entry) : byUnit.get(e.entry);
      const d = authorize(actor, { kind: 'device.reassign', ownerPath: row?.account_path ?? '', targetPath: target.path });
      if (d === 'forbidden') throw Errors.forbidden('moving devices needs account administration and full device access');
      if (d !== 'allow') problems.push({ ...e, reason: 'unknown' });
      else if (seenDevice.has(row!.id)) problems.push({ ...e, reason: 'duplicate' });
      else {
        seenDevice.add(row!.id);
        plan.push({ item: this.itemOf(row!, target), from: row! });
      }
    }
    if (problems.length > 0) {
      throw Errors.invalid(problems[0]!.field, `${problems.length} entries are unknown, duplicated or invalid; nothing was moved`, problems);
    }
    return plan;
  }

  private itemOf(row: DeviceRef, target: AccountRow): AssignItem {
    const moved = row.account_id !== target.id;
    return { deviceId: row.id, unitId: row.unit_id, status: moved ? 'moved' : 'unchanged', from: row.account_id, to: target.id, epoch: moved ? row.epoch + 1 : row.epoch };
  }

  /**
   * The moves and one audit entry for the request, scoped to the deepest account that sees the
   * target and every previous owner (a nested customer never learns where a device came from).
   */
  private apply(actor: Actor, target: AccountRow, plan: readonly { item: AssignItem; from: DeviceRef }[]): void {
    const moving = plan.filter((p) => p.item.status === 'moved');
    if (moving.length === 0) return;
    this.store.moveAll(moving.map((p) => ({ id: p.from.id, epoch: p.from.epoch })), { id: target.id, path: target.path }, this.ctx.now());
    recordAudit(this.ctx, actor, {
      action: 'device.assign',
      resourceType: 'account',
      resourceId: target.id,
      scopePath: commonAncestor([...new Set([target.path, ...moving.map((p) => p.from.account_path)])]),
      after: {
        accountId: target.id,
        moved: moving.map((p) => ({ deviceId: p.item.deviceId, unitId: p.item.unitId, from: p.item.from, epoch: p.item.epoch })),
        unchanged: plan.length - moving.length,
      },
    });
  }
}
