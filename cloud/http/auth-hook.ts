/**
 * Bearer authentication on every route that does not opt out with `config: { public: true }`.
 * Runs in onRequest, so a missing or bad token is a 401 before anything else is looked at.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import type { AuthService, Caller } from '../services/auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No bearer token needed (login, health, metrics, docs, the console's files). */
    public?: boolean;
  }
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer ([A-Za-z0-9_\-.~+/=]+)$/.exec(h);
  return m?.[1];
}

export function installAuth(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public || !req.routeOptions.url) return;
    const token = bearerOf(req);
    const caller = token ? auth.authenticate(token) : undefined;
    if (!caller) throw Errors.unauthorized();
    req.caller = caller;
  });
}

/** The caller of an authenticated route (the hook guarantees it). */
export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw Errors.unauthorized();
  return req.caller;
}
