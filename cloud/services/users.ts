/**
 * Users of an account: list, create, change, delete, and the caller's own profile. No escalation,
 * no lock-out of the root account, and a deleted or demoted user's sessions end at once.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { CreateUserBody, PatchMeBody, PatchUserBody, User } from '../../protocol/api.js';
import { topicRoot } from '../../protocol/topics.js';
import { mayGrant, pathDepth, pathIds, type Actor, type Rights } from '../domain/permissions.js';
import { Errors } from '../errors.js';
import type { UserRow } from '../store/user-store.js';
import { toAccount } from './accounts.js';
import { recordAudit } from './audit.js';
import type { AuthService, Caller } from './auth.js';
import type { Context } from './context.js';
import { decodeCursor, isString, toPage } from './cursor.js';
import { isId, must } from './guard.js';
import { hashSecret, verifySecret } from './secrets.js';

export function toUser(r: UserRow): User {
  return { id: r.id, accountId: r.account_id, email: r.email, name: r.name, deviceAccess: r.device_access, accountAdmin: r.account_admin === 1 };
}

const rightsOf = (r: UserRow): Rights => ({ deviceAccess: r.device_access, accountAdmin: r.account_admin === 1 });
const isFullAdmin = (r: Rights) => r.accountAdmin && r.deviceAccess === 'full';

export class UserService {
  constructor(
    private readonly ctx: Context,
    private readonly auth: AuthService,
  ) {}

  /** 404 unless the user is visible, 403 unless the caller administers its account. */
  precheck(actor: Actor, userId: string): void {
    const target = isId(userId) ? this.ctx.users.get(userId) : undefined;
    must(actor, { kind: 'user.list', accountPath: target?.account_path ?? '' }, 'user', 'account administration is required');
  }

  list(actor: Actor, accountId: string, limit: number, cursor?: string) {
    const account = isId(accountId) ? this.ctx.accounts.get(accountId) : undefined;
    must(actor, { kind: 'user.list', accountPath: account?.path ?? '' }, 'account', 'account administration is required');
    const after = decodeCursor(cursor, isString);
    return toPage(this.ctx.users.listByAccount(accountId, after, limit + 1), limit, toUser, (r) => r.id);
  }

  async create(actor: Actor, accountId: string, body: z.infer<typeof CreateUserBody>): Promise<User> {
    const account = isId(accountId) ? this.ctx.accounts.get(accountId) : undefined;
    const grant = { deviceAccess: body.deviceAccess, accountAdmin: body.accountAdmin };
    must(actor, { kind: 'user.create', accountPath: account?.path ?? '', grant }, 'account', 'you may not grant rights you do not hold, and account administration is required');
    const email = body.email.toLowerCase();
    if (this.ctx.users.byEmail(email)) throw Errors.conflict('email_taken', 'a user with this email already exists', [{ field: 'email' }]);
    const row: UserRow = {
      id: randomUUID(), account_id: account!.id, email, name: body.name,
      password_hash: await hashSecret(body.password),
      device_access: body.deviceAccess, account_admin: body.accountAdmin ? 1 : 0, created_at: this.ctx.now(),
    };
    this.ctx.db.transaction(() => {
      // Checked again inside the transaction: the hash above yielded the event loop.
      if (this.ctx.users.byEmail(email)) throw Errors.conflict('email_taken', 'a user with this email already exists', [{ field: 'email' }]);
      this.ctx.users.insert(row);
      recordAudit(this.ctx, actor, { action: 'user.create', resourceType: 'user', resourceId: row.id, scopePath: account!.path, after: toUser(row) });
    })();
    return toUser(row);
  }

  async update(actor: Actor, userId: string, body: z.infer<typeof PatchUserBody>): Promise<User> {
    const target = isId(userId) ? this.ctx.users.get(userId) : undefined;
    const current = target ? rightsOf(target) : { deviceAccess: 'none' as const, accountAdmin: false };
    const grant: Rights = { deviceAccess: body.deviceAccess ?? current.deviceAccess, accountAdmin: body.accountAdmin ?? current.accountAdmin };
    must(actor, { kind: 'user.update', accountPath: target?.account_path ?? '', current, grant }, 'user', 'you may not manage a user with rights you do not hold, nor grant them');
    const hash = body.password === undefined ? target!.password_hash : await hashSecret(body.password);
    const next = { name: body.name ?? target!.name, device_access: grant.deviceAccess, account_admin: grant.accountAdmin ? (1 as const) : (0 as const), password_hash: hash };
    const demoted = !mayGrant(grant, current);
    this.ctx.db.transaction(() => {
      const fresh = this.ctx.users.get(userId);
      if (!fresh) throw Errors.notFound('user');
      if (demoted) this.assertNoLockout(fresh);
      this.ctx.users.update(userId, next);
      recordAudit(this.ctx, actor, { action: 'user.update', resourceType: 'user', resourceId: userId, scopePath: fresh.account_path, before: toUser(fresh),
        // A password set by an admin changes no shown field: say so (never the password itself).
        after: { ...toUser({ ...fresh, ...next }), ...(body.password !== undefined ? { passwordChanged: true } : {}) } });
    })();
    if (demoted || body.password !== undefined) this.auth.revokeAll(userId);
    return toUser({ ...target!, ...next });
  }

  delete(actor: Actor, userId: string): void {
    const target = isId(userId) ? this.ctx.users.get(userId) : undefined;
    const current = target ? rightsOf(target) : { deviceAccess: 'none' as const, accountAdmin: false };
    must(actor, { kind: 'user.delete', accountPath: target?.account_path ?? '', current }, 'user', 'you may not delete a user with rights you do not hold');
    this.ctx.db.transaction(() => {
      this.assertNoLockout(target!);
      this.ctx.users.delete(userId);
      recordAudit(this.ctx, actor, { action: 'user.delete', resourceType: 'user', resourceId: userId, scopePath: target!.account_path, before: toUser(target!) });
    })();
    this.auth.revokeAll(userId);
  }

  /** The root account always keeps an account admin with full device access. */
  private assertNoLockout(target: UserRow & { account_path: string }): void {
    if (pathDepth(target.account_path) !== 0 || !isFullAdmin(rightsOf(target))) return;
    if (this.ctx.users.countFullAdmins(target.account_id) <= 1) {
      throw Errors.conflict('last_root_admin', 'the root account must keep at least one account admin with full device access');
    }
  }

  me(caller: Caller) {
    const user = this.ctx.users.get(caller.userId)!;
    return {
      user: toUser(user),
      account: toAccount(this.ctx.accounts.getWithCounts(user.account_id)!),
      topicRoot: topicRoot(pathIds(user.account_path)),
    };
  }

  async patchMe(caller: Caller, body: z.infer<typeof PatchMeBody>) {
    const user = this.ctx.users.get(caller.userId)!;
    let hash = user.password_hash;
    if (body.password !== undefined) {
      if (!(await verifySecret(body.currentPassword ?? '', user.password_hash))) {
        throw Errors.wrongPassword();
      }
      hash = await hashSecret(body.password);
    }
    const next = { name: body.name ?? user.name, device_access: user.device_access, account_admin: user.account_admin, password_hash: hash };
    this.ctx.db.transaction(() => {
      this.ctx.users.update(user.id, next);
      recordAudit(this.ctx, caller, { action: 'me.update', resourceType: 'user', resourceId: user.id, scopePath: user.account_path, before: { name: user.name }, after: { name: next.name, passwordChanged: body.password !== undefined } });
    })();
    return this.me(caller);
  }
}
