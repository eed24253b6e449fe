/**
 * The audit log: who did what to which resource, before and after, never a secret. Readers see the
 * entries scoped to their subtree; actors above them show as `{kind: "ancestor"}`.
 */
import type { AuditEntry } from '../../protocol/api.js';
import { within, type Actor } from '../domain/permissions.js';
import type { AuditRow } from '../store/audit-store.js';
import type { Context } from './context.js';

const SECRET_KEYS = new Set(['password', 'password_hash', 'passwordHash', 'secret', 'secret_hash', 'token', 'currentPassword']);

function scrub(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value, (k, v) => (SECRET_KEYS.has(k) ? undefined : v));
}

export interface AuditInput {
  action: string;
  resourceType: string;
  resourceId: string | null;
  /** Path of the account the resource lives in: who may read this entry. */
  scopePath: string;
  before?: unknown;
  after?: unknown;
}

export function recordAudit(ctx: Context, actor: (Actor & { email?: string }) | null, input: AuditInput): void {
  ctx.audit.insert({
    ts: ctx.now(),
    actor_id: actor?.userId ?? null,
    actor_email: actor?.email ?? null,
    actor_path: actor?.accountPath ?? null,
    action: input.action,
    resource_type: input.resourceType,
    resource_id: input.resourceId,
    scope_path: input.scopePath,
    before: scrub(input.before),
    after: scrub(input.after),
  });
}

export function toAuditEntry(reader: Actor, row: AuditRow): AuditEntry {
  let actor: AuditEntry['actor'];
  if (row.actor_id === null || row.actor_path === null) actor = { kind: 'system' };
  else if (within(row.actor_path, reader.accountPath)) actor = { kind: 'user', id: row.actor_id, email: row.actor_email };
  else actor = { kind: 'ancestor' };
  return {
    seq: row.seq,
    ts: row.ts,
    actor,
    action: row.action,
    resource: { type: row.resource_type, id: row.resource_id },
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
  };
}
