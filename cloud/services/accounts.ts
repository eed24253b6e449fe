/** Nested customers: list, create, read, rename, settings, delete (CONTRACT.md, REST). */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Account, CreateAccountBody, PatchAccountBody } from '../../protocol/api.js';
import { SettingsSchema, type Settings } from '../../protocol/messages.js';
import type { Actor } from '../domain/permissions.js';
import { Errors } from '../errors.js';
import type { AccountRow, AccountWithCounts } from '../store/account-store.js';
import { childPath } from '../store/paths.js';
import { recordAudit } from './audit.js';
import type { Context } from './context.js';
import { decodeCursor, isString, toPage } from './cursor.js';
import { isId, must } from './guard.js';

export function parseSettings(json: string): Settings {
  return SettingsSchema.parse(JSON.parse(json));
}

/**
 * Parsed settings by their stored JSON (most accounts share a few, `{}` above all): a list of 100
 * accounts parses each distinct one once. Frozen, because the object is shared. Bounded.
 */
const settingsCache = new Map<string, Settings>();
const SETTINGS_CACHE_MAX = 1024;

function cachedSettings(json: string): Settings {
  let s = settingsCache.get(json);
  if (!s) {
    s = parseSettings(json);
    if (s.obdPids) Object.freeze(s.obdPids);
    Object.freeze(s);
    if (settingsCache.size >= SETTINGS_CACHE_MAX) settingsCache.clear();
    settingsCache.set(json, s);
  }
  return s;
}

export function toAccount(r: AccountWithCounts): Account {
  return {
    id: r.id,
    name: r.name,
    parentId: r.parent_id,
    depth: r.depth,
    settings: cachedSettings(r.settings),
    childCount: r.child_count,
    deviceCount: r.device_count,
    userCount: r.user_count,
  };
}

export class AccountService {
  constructor(private readonly ctx: Context) {}

  /** The account row if the id is well-formed and exists (visibility is the caller's job). */
  find(id: string): AccountRow | undefined {
    return isId(id) ? this.ctx.accounts.get(id) : undefined;
  }

  /** 404 unless visible, 403 unless the caller administers it (for a request whose body is bad). */
  precheck(actor: Actor, id: string): void {
    must(actor, { kind: 'account.settings', path: this.find(id)?.path ?? '' }, 'account', 'account administration is required');
  }

  list(actor: Actor, limit: number, cursor?: string) {
    const after = decodeCursor(cursor, isString);
    const rows = this.ctx.accounts.listSubtree(actor.accountPath, after, limit + 1);
    return toPage(rows, limit, toAccount, (r) => r.path);
  }

  get(actor: Actor, id: string): Account {
    const row = this.find(id);
    must(actor, { kind: 'account.read', path: row?.path ?? '' }, 'account');
    return toAccount(this.ctx.accounts.getWithCounts(id)!);
  }

  create(actor: Actor, body: z.infer<typeof CreateAccountBody>): Account {
    const parent = this.find(body.parentId);
    must(actor, { kind: 'account.create', parentPath: parent?.path ?? '' }, 'parent account', 'account administration is required');
    const depth = parent!.depth + 1;
    const max = this.ctx.config.MAX_DEPTH;
    if (depth > max) throw Errors.invalid('parentId', `nesting is limited to MAX_DEPTH=${max} levels below the root`, [{ field: 'parentId', limit: max }]);
    const id = randomUUID();
    const row: AccountRow = {
      id,
      name: body.name,
      parent_id: parent!.id,
      path: childPath(parent!.path, id),
      depth,
      settings: JSON.stringify(body.settings ?? {}),
      created_at: this.ctx.now(),
    };
    this.ctx.db.transaction(() => {
      this.ctx.accounts.insert(row);
      recordAudit(this.ctx, actor, { action: 'account.create', resourceType: 'account', resourceId: id, scopePath: row.path, after: { name: row.name, parentId: row.parent_id, settings: body.settings ?? {} } });
    })();
    return toAccount(this.ctx.accounts.getWithCounts(id)!);
  }

  update(actor: Actor, id: string, body: z.infer<typeof PatchAccountBody>): Account {
    const row = this.find(id);
    const path = row?.path ?? '';
    if (body.name !== undefined) must(actor, { kind: 'account.rename', path }, 'account', 'an administrator may not rename its own account');
    if (body.settings !== undefined) must(actor, { kind: 'account.settings', path }, 'account', 'account administration is required');
    const next = { name: body.name ?? row!.name, settings: body.settings === undefined ? row!.settings : JSON.stringify(body.settings) };
    this.ctx.db.transaction(() => {
      this.ctx.accounts.update(id, next);
      // Same transaction: a newer issuedAt makes every agent below apply the new settings.
      if (next.settings !== row!.settings) this.ctx.links.touchSubtree(path, this.ctx.now());
      recordAudit(this.ctx, actor, {
        action: 'account.update', resourceType: 'account', resourceId: id, scopePath: path,
        before: { name: row!.name, settings: JSON.parse(row!.settings) },
        after: { name: next.name, settings: JSON.parse(next.settings) },
      });
    })();
    if (body.settings !== undefined && next.settings !== row!.settings) this.ctx.bus.emit('settings-changed', path);
    return toAccount(this.ctx.accounts.getWithCounts(id)!);
  }

  delete(actor: Actor, id: string): void {
    const row = this.find(id);
    must(actor, { kind: 'account.delete', path: row?.path ?? '' }, 'account', 'an administrator may not delete its own account');
    this.ctx.db.transaction(() => {
      const c = this.ctx.accounts.getWithCounts(id)!;
      if (c.child_count + c.device_count + c.user_count > 0) {
        throw Errors.conflict('account_not_empty', `the account still holds ${c.device_count} devices, ${c.user_count} users and ${c.child_count} nested customers`, {
          devices: c.device_count, users: c.user_count, children: c.child_count,
        });
      }
      this.ctx.accounts.delete(id);
      recordAudit(this.ctx, actor, { action: 'account.delete', resourceType: 'account', resourceId: id, scopePath: row!.path, before: { name: row!.name, parentId: row!.parent_id } });
    })();
  }
}
