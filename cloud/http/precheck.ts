/**
 * The contract decides authorization before state: 401, then 404, then 403, then 400/409. Fastify
 * validates before the handler, so every route attaches its validation error instead of throwing
 * it, a route's `precheck` (who may touch the resource named in the path) runs first, and only
 * then is a validation error answered.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Throws the 404/403 the caller gets for the resource in the path, whatever the body says. */
    precheck?: (req: FastifyRequest) => void;
  }
}

export function installPrecheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.attachValidation = true;
  });
  app.addHook('preHandler', async (req) => {
    if (req.validationError) {
      req.routeOptions.config?.precheck?.(req);
      throw req.validationError;
    }
  });
}

/** The `:id` of a route's path, before validation. */
export function pathId(req: FastifyRequest): string {
  return String((req.params as { id?: unknown }).id ?? '');
}
