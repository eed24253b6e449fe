/**
 * Login, sessions and API tokens. The same 401 for an unknown email and a wrong password (and the
 * same time spent); 5 failures for one email within 15 minutes answer 429 for that email.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../domain/permissions.js';
import type { TokenRow, UserWithPath } from '../store/user-store.js';
import { Errors } from '../errors.js';
import type { Context } from './context.js';
import { FailureLimiter } from './failure-limiter.js';
import { DUMMY_HASH, newSecret, tokenHash, verifySecret } from './secrets.js';

export const LOGIN_FAILURES = { max: 5, windowMs: 15 * 60_000 };

/** The authenticated caller: the rule's Actor plus what handlers show. */
export interface Caller extends Actor {
  email: string;
  tokenId: string;
}

export function toActor(u: UserWithPath): Actor & { email: string } {
  return {
    userId: u.id,
    accountId: u.account_id,
    accountPath: u.account_path,
    deviceAccess: u.device_access,
    accountAdmin: u.account_admin === 1,
    email: u.email,
  };
}

export class AuthService {
  private readonly limiter: FailureLimiter;
  private lastPurge = Number.NEGATIVE_INFINITY;

  constructor(private readonly ctx: Context) {
    this.limiter = new FailureLimiter({ ...LOGIN_FAILURES, now: ctx.now });
  }

  async login(email: string, password: string): Promise<{ token: string; expiresAt: number; user: UserWithPath }> {
    const key = email.trim().toLowerCase();
    const wait = this.limiter.retryAfter(key);
    if (wait > 0) throw Errors.tooMany(wait);
    const user = this.ctx.users.byEmail(key);
    const good = await verifySecret(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !good) {
      this.limiter.fail(key);
      this.ctx.log.info({ mod: 'auth', event: 'login-failed' }, 'login failed');
      throw Errors.badCredentials();
    }
    this.limiter.reset(key);
    this.purgeExpired();
    const expiresAt = this.ctx.now() + this.ctx.config.SESSION_TTL_MINUTES * 60_000;
    const { token } = this.issue(user.id, 'session', 'login', expiresAt);
    return { token, expiresAt, user };
  }

  /** Expired sessions and tokens are deleted at most once an hour, on a login. */
  private purgeExpired(): void {
    const now = this.ctx.now();
    if (now - this.lastPurge < 3_600_000) return;
    this.lastPurge = now;
    this.ctx.users.deleteExpiredTokens(now);
  }

  /** Creates a token row and answers the secret, which is never stored. */
  issue(userId: string, kind: TokenRow['kind'], name: string, expiresAt: number | null): { token: string; row: TokenRow } {
    const token = newSecret(32);
    const row: TokenRow = {
      id: randomUUID(),
      user_id: userId,
      kind,
      name,
      secret_hash: tokenHash(token),
      created_at: this.ctx.now(),
      expires_at: expiresAt,
    };
    this.ctx.users.insertToken(row);
    return { token, row };
  }

  /** The caller behind a bearer token, or undefined (expired, revoked, unknown). */
  authenticate(token: string): Caller | undefined {
    if (token.length < 20 || token.length > 200) return undefined;
    const row = this.ctx.users.tokenByHash(tokenHash(token));
    if (!row || (row.expires_at !== null && row.expires_at <= this.ctx.now())) return undefined;
    const user = this.ctx.users.get(row.user_id);
    if (!user) return undefined;
    return { ...toActor(user), tokenId: row.id };
  }

  logout(caller: Caller): void {
    this.ctx.users.deleteToken(caller.tokenId);
    this.ctx.bus.emit('token-revoked', caller.tokenId);
  }

  /** Ends every session and token of a user (deleted or demoted). */
  revokeAll(userId: string): void {
    this.ctx.users.deleteTokensOf(userId);
    this.ctx.bus.emit('user-revoked', userId);
  }
}
