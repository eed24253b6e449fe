/**
 * Devices (CONTRACT.md, Words and REST): register and import (root admins), list, read, rename,
 * decommission, rotate the secret, and the ownership history. Every check goes through the
 * permission rule (guard.ts `must`); events for the broker are emitted after the commit, so it
 * never publishes a state that could still roll back.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { IMPORT_MAX_ROWS, type Device, type ImportBody, type RegisterDeviceBody } from '../../protocol/api.js';
import { QueueHealthSchema } from '../../protocol/messages.js';
import { authorize, type Actor } from '../domain/permissions.js';
import { Errors } from '../errors.js';
import type { AccountRow } from '../store/account-store.js';
import type { DeviceRow, DeviceStore } from '../store/device-store.js';
import { recordAudit } from './audit.js';
import type { Context } from './context.js';
import { decodeCursor, isString, toPage } from './cursor.js';
import { checkRows, parseCsv, type ImportRow, type RowError } from './device-import.js';
import { hashDeviceSecret, hashDeviceSecrets } from './device-secrets.js';
import { isId, must } from './guard.js';
import { newSecret } from './secrets.js';

export function toDevice(r: DeviceRow): Device {
  const queue = r.queue === null ? null : QueueHealthSchema.safeParse(JSON.parse(r.queue)).data ?? null;
  return {
    id: r.id, unitId: r.unit_id, name: r.name, accountId: r.account_id, epoch: r.epoch,
    appliedEpoch: r.applied_epoch, lastSeen: r.last_seen, agentVersion: r.agent_version, vin: r.vin,
    ...(queue ? { queue } : {}),
  };
}

/** What GET /v1/devices filters on. */
export interface DeviceListOptions {
  accountId?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

const ROOT_ONLY = 'registering, decommissioning and rotating device secrets is for administrators of the root account';

export class DeviceService {
  constructor(
    private readonly ctx: Context,
    private readonly store: DeviceStore,
  ) {}

  private account(id: string): AccountRow | undefined {
    return isId(id) ? this.ctx.accounts.get(id) : undefined;
  }

  /** A live device the actor may read, else 404. */
  private visible(actor: Actor, id: string): DeviceRow {
    const row = isId(id) ? this.store.get(id.toLowerCase()) : undefined;
    must(actor, { kind: 'device.read', ownerPath: row?.account_path ?? '' }, 'device');
    return row!;
  }

  private newRow(unitId: string, name: string, owner: AccountRow, epoch: number, secretHash: string, now: number): DeviceRow {
    return {
      id: randomUUID(), unit_id: unitId, name, account_id: owner.id, account_path: owner.path, epoch, issued_at: now,
      applied_epoch: null, applied_issued_at: null, secret_hash: secretHash, last_seen: null, agent_version: null,
      vin: null, queue: null, created_at: now, deleted_at: null,
    };
  }

  /** Inserts a device and opens its first interval: epoch 1, or the unit id's last epoch + 1. */
  private insertNew(unitId: string, name: string, owner: AccountRow, secretHash: string, lastEpoch: number): DeviceRow {
    const now = this.ctx.now();
    const row = this.newRow(unitId, name, owner, lastEpoch + 1, secretHash, now);
    this.store.insert(row);
    this.store.openInterval(row, now);
    return row;
  }

  /**
   * For a request whose body or query is bad: the 404/403 it would get anyway comes first.
   * `accountId` is the raw value (used only when it is a string).
   */
  precheckRegister(actor: Actor, accountId: unknown): void {
    const owner = this.account(typeof accountId === 'string' ? accountId : actor.accountId);
    must(actor, { kind: 'device.register', targetPath: owner?.path ?? '' }, 'account', ROOT_ONLY);
  }

  precheckRename(actor: Actor, id: string): void {
    const row = isId(id) ? this.store.get(id.toLowerCase()) : undefined;
    must(actor, { kind: 'device.rename', ownerPath: row?.account_path ?? '' }, 'device', 'renaming a device needs full device access');
  }

  precheckList(actor: Actor, accountId: unknown): void {
    if (typeof accountId === 'string') must(actor, { kind: 'account.read', path: this.account(accountId)?.path ?? '' }, 'account');
  }

  async register(actor: Actor, body: z.infer<typeof RegisterDeviceBody>): Promise<Device & { secret: string }> {
    const owner = this.account(body.accountId ?? actor.accountId);
    must(actor, { kind: 'device.register', targetPath: owner?.path ?? '' }, 'account', ROOT_ONLY);
    const taken = () => Errors.conflict('unit_id_taken', 'a live device already has this unit id', [{ field: 'unitId' }]);
    if (this.store.byUnit(body.unitId)) throw taken();
    const secret = newSecret(32);
    const hash = await hashDeviceSecret(secret);
    const row = this.ctx.db.transaction(() => {
      // Checked again: the hash above yielded the event loop.
      if (this.store.byUnit(body.unitId)) throw taken();
      const r = this.insertNew(body.unitId, body.name ?? body.unitId, owner!, hash, this.store.lastEpochOfUnit(body.unitId));
      recordAudit(this.ctx, actor, { action: 'device.register', resourceType: 'device', resourceId: r.id, scopePath: r.account_path, after: toDevice(r) });
      return r;
    }).immediate();
    this.ctx.bus.emit('ownership-changed', [row.id]);
    return { ...toDevice(row), secret };
  }

  /** All or nothing: every row is checked first and every problem answered in one 400. */
  async import(actor: Actor, body: z.infer<typeof ImportBody>): Promise<{ items: { id: string; unitId: string; secret: string }[] }> {
    must(actor, { kind: 'device.register', targetPath: actor.accountPath }, 'account', ROOT_ONLY);
    const source = typeof body === 'string' ? parseCsv(body) : { rows: body.devices, errors: [] };
    if (source.errors.length > 0) throw Errors.invalid('devices', 'the CSV header is not usable', source.errors);
    if (source.rows.length === 0) throw Errors.invalid('devices', 'no device to import');
    if (source.rows.length > IMPORT_MAX_ROWS) throw Errors.invalid('devices', `at most ${IMPORT_MAX_ROWS} devices per import`);
    const { rows, errors } = checkRows(source.rows);
    const owners = this.ownersOf(actor, rows, errors);
    this.checkNotLive(rows, errors);
    if (errors.length > 0) throw Errors.invalid('devices', `${new Set(errors.map((e) => e.row)).size} rows are invalid; nothing was imported`, errors.sort((a, b) => a.row - b.row));
    const secrets = rows.map(() => newSecret(32));
    const hashes = await hashDeviceSecrets(secrets);
    const created = this.ctx.db.transaction(() => {
      const late: RowError[] = [];
      this.checkNotLive(rows, late);
      if (late.length > 0) throw Errors.conflict('unit_id_taken', 'devices with these unit ids were registered meanwhile', late);
      const last = this.store.lastEpochsOfUnits(rows.map((r) => r.unitId));
      const made = rows.map((r, i) => this.insertNew(r.unitId, r.name ?? r.unitId, owners[i]!, hashes[i]!, last.get(r.unitId) ?? 0));
      this.auditImport(actor, made);
      return made;
    }).immediate();
    this.ctx.bus.emit('ownership-changed', created.map((r) => r.id));
    return { items: created.map((r, i) => ({ id: r.id, unitId: r.unit_id, secret: secrets[i]! })) };
  }

  /** The owner of each row (default: the actor's account); unknown or invisible ones are row errors. */
  private ownersOf(actor: Actor, rows: readonly ImportRow[], errors: RowError[]): AccountRow[] {
    const cache = new Map<string, AccountRow | undefined>();
    return rows.map((r) => {
      const id = r.accountId ?? actor.accountId;
      if (!cache.has(id)) cache.set(id, this.account(id));
      const owner = cache.get(id);
      const ok = owner !== undefined && authorize(actor, { kind: 'device.register', targetPath: owner.path }) === 'allow';
      if (!ok) errors.push({ row: r.row, field: 'accountId', message: 'no such account' });
      return owner!;
    });
  }

  private checkNotLive(rows: readonly ImportRow[], errors: RowError[]): void {
    const live = new Set(this.store.liveByUnits(rows.map((r) => r.unitId)).map((d) => d.unit_id));
    for (const r of rows) if (live.has(r.unitId)) errors.push({ row: r.row, field: 'unitId', message: 'a live device already has this unit id' });
  }

  /** One audit entry per owner account, listing its new devices (readable in that subtree). */
  private auditImport(actor: Actor, made: readonly DeviceRow[]): void {
    const byOwner = new Map<string, DeviceRow[]>();
    for (const r of made) {
      const list = byOwner.get(r.account_path) ?? [];
      list.push(r);
      byOwner.set(r.account_path, list);
    }
    for (const [path, rows] of byOwner) {
      recordAudit(this.ctx, actor, {
        action: 'device.import', resourceType: 'account', resourceId: rows[0]!.account_id, scopePath: path,
        after: { devices: rows.map((r) => ({ id: r.id, unitId: r.unit_id, name: r.name, epoch: r.epoch })) },
      });
    }
  }

  list(actor: Actor, opts: DeviceListOptions) {
    let prefix = actor.accountPath;
    if (opts.accountId !== undefined) {
      const account = this.account(opts.accountId);
      must(actor, { kind: 'account.read', path: account?.path ?? '' }, 'account');
      prefix = account!.path;
    }
    const afterId = decodeCursor(opts.cursor, isString);
    // Everything under `prefix` lies in the actor's subtree, so one decision covers every row.
    if (authorize(actor, { kind: 'device.read', ownerPath: prefix }) !== 'allow') return { items: [], nextCursor: null };
    const rows = this.store.list({ prefix, afterId, limit: opts.limit + 1, ...(opts.q ? { q: opts.q } : {}) });
    return toPage(rows, opts.limit, toDevice, (r) => r.id);
  }

  get(actor: Actor, id: string): Device {
    return toDevice(this.visible(actor, id));
  }

  rename(actor: Actor, id: string, name: string): Device {
    const row = isId(id) ? this.store.get(id.toLowerCase()) : undefined;
    must(actor, { kind: 'device.rename', ownerPath: row?.account_path ?? '' }, 'device', 'renaming a device needs full device access');
    this.ctx.db.transaction(() => {
      this.store.rename(row!.id, name);
      recordAudit(this.ctx, actor, { action: 'device.rename', resourceType: 'device', resourceId: row!.id, scopePath: row!.account_path, before: { name: row!.name }, after: { name } });
    })();
    return toDevice({ ...row!, name });
  }

  decommission(actor: Actor, id: string): void {
    const row = isId(id) ? this.store.get(id.toLowerCase()) : undefined;
    must(actor, { kind: 'device.decommission', ownerPath: row?.account_path ?? '' }, 'device', ROOT_ONLY);
    this.ctx.db.transaction(() => {
      if (!this.store.get(row!.id)) throw Errors.notFound('device');
      this.store.softDelete(row!.id, this.ctx.now());
      recordAudit(this.ctx, actor, { action: 'device.decommission', resourceType: 'device', resourceId: row!.id, scopePath: row!.account_path, before: toDevice(row!) });
    })();
    this.ctx.bus.emit('device-revoked', row!.unit_id);
  }

  /** A new secret, shown once; the old one stops working at once (the broker closes the session). */
  async rotateSecret(actor: Actor, id: string): Promise<{ id: string; unitId: string; secret: string }> {
    const row = isId(id) ? this.store.get(id.toLowerCase()) : undefined;
    // Same rule as decommissioning: root admins, on a device they see.
    must(actor, { kind: 'device.decommission', ownerPath: row?.account_path ?? '' }, 'device', ROOT_ONLY);
    const secret = newSecret(32);
    const hash = await hashDeviceSecret(secret);
    this.ctx.db.transaction(() => {
      if (!this.store.get(row!.id)) throw Errors.notFound('device');
      this.store.setSecret(row!.id, hash);
      recordAudit(this.ctx, actor, { action: 'device.rotate-secret', resourceType: 'device', resourceId: row!.id, scopePath: row!.account_path, after: { unitId: row!.unit_id } });
    }).immediate();
    this.ctx.bus.emit('device-revoked', row!.unit_id);
    return { id: row!.id, unitId: row!.unit_id, secret };
  }

  /** Owner, epoch, whether the agent applied it, and the history; unseen owners show as null. */
  ownership(actor: Actor, id: string) {
    const row = this.visible(actor, id);
    const history = this.store.history(row.id).map((h) => ({
      accountId: authorize(actor, { kind: 'account.read', path: h.account_path }) === 'allow' ? h.account_id : null,
      epoch: h.epoch,
      from: h.from_ts,
      to: h.to_ts,
    }));
    // Applied: the agent acknowledged this epoch and the current message (a settings push keeps
    // the epoch and issues a newer message).
    const applied = row.applied_epoch === row.epoch && (row.applied_issued_at ?? 0) >= row.issued_at;
    return { deviceId: row.id, accountId: row.account_id, epoch: row.epoch, appliedEpoch: row.applied_epoch, applied, history };
  }
}
