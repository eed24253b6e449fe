/** The caller's long-lived API tokens: listed without secrets, the secret shown once. */
import type { z } from 'zod';
import type { CreateTokenBody } from '../../protocol/api.js';
import { Errors } from '../errors.js';
import type { TokenRow } from '../store/user-store.js';
import { recordAudit } from './audit.js';
import type { AuthService, Caller } from './auth.js';
import type { Context } from './context.js';
import { isId } from './guard.js';

const toToken = (r: TokenRow) => ({ id: r.id, name: r.name, createdAt: r.created_at, expiresAt: r.expires_at });

export class TokenService {
  constructor(
    private readonly ctx: Context,
    private readonly auth: AuthService,
  ) {}

  list(caller: Caller) {
    return { items: this.ctx.users.listTokens(caller.userId, 'api').map(toToken), nextCursor: null };
  }

  create(caller: Caller, body: z.infer<typeof CreateTokenBody>) {
    if (body.expiresAt !== undefined && body.expiresAt <= this.ctx.now()) throw Errors.invalid('expiresAt', 'must be in the future');
    const { token, row } = this.auth.issue(caller.userId, 'api', body.name, body.expiresAt ?? null);
    recordAudit(this.ctx, caller, { action: 'token.create', resourceType: 'token', resourceId: row.id, scopePath: caller.accountPath, after: toToken(row) });
    return { ...toToken(row), token };
  }

  delete(caller: Caller, id: string): void {
    const mine = isId(id) ? this.ctx.users.listTokens(caller.userId, 'api').find((t) => t.id === id) : undefined;
    if (!mine) throw Errors.notFound('token');
    this.ctx.users.deleteToken(id);
    recordAudit(this.ctx, caller, { action: 'token.delete', resourceType: 'token', resourceId: id, scopePath: caller.accountPath, before: toToken(mine) });
    this.ctx.bus.emit('token-revoked', id);
  }
}
