/**
 * First start on an empty database: the root account (the fleet operator) and its first admin,
 * from ADMIN_EMAIL/ADMIN_PASSWORD or with a generated password the caller prints once.
 */
import { randomUUID } from 'node:crypto';
import { childPath } from '../store/paths.js';
import type { Context } from './context.js';
import { hashSecret, newSecret } from './secrets.js';

export interface BootstrapResult {
  created: boolean;
  email?: string;
  /** Only when generated: to be shown once on the terminal, never logged. */
  generatedPassword?: string;
}

export async function ensureRoot(ctx: Context, admin: { email?: string; password?: string }): Promise<BootstrapResult> {
  if (ctx.accounts.root()) return { created: false };
  const email = (admin.email ?? 'admin@fleet.local').toLowerCase();
  const generated = admin.password === undefined ? newSecret(18) : undefined;
  const hash = await hashSecret(admin.password ?? generated!);
  const rootId = randomUUID();
  const now = ctx.now();
  ctx.db.transaction(() => {
    if (ctx.accounts.root()) return;
    ctx.accounts.insert({ id: rootId, name: 'Fleet operator', parent_id: null, path: childPath('/', rootId), depth: 0, settings: '{}', created_at: now });
    ctx.users.insert({ id: randomUUID(), account_id: rootId, email, name: 'Administrator', password_hash: hash, device_access: 'full', account_admin: 1, created_at: now });
  })();
  ctx.log.info({ mod: 'bootstrap', email }, 'created the root account and its first administrator');
  return { created: true, email, ...(generated ? { generatedPassword: generated } : {}) };
}
