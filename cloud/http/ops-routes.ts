/** Liveness, Prometheus metrics, the OpenAPI document and the audit log. */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AuditEntrySchema, LimitQuery, page } from '../../protocol/api.js';
import { Errors } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { toAuditEntry } from '../services/audit.js';
import { decodeCursor, isNumber, toPage } from '../services/cursor.js';
import { must } from '../services/guard.js';
import { bearerOf, callerOf } from './auth-hook.js';
import type { Services } from './services.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function opsRoutes(app: FastifyInstance, s: Services, metrics: Metrics, metricsToken: string | undefined): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/healthz', { config: { public: true }, schema: { tags: ['ops'] } }, () => {
    s.ctx.db.prepare('SELECT 1').get();
    return { status: 'ok' };
  });

  r.get('/metrics', { config: { public: true }, schema: { tags: ['ops'] } }, async (req, reply) => {
    if (metricsToken !== undefined) {
      const given = bearerOf(req) ?? '';
      if (!timingSafeEqual(digest(given), digest(metricsToken))) throw Errors.unauthorized();
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  r.get('/docs', { config: { public: true }, schema: { hide: true } }, () => app.swagger());

  r.get('/v1/audit', { schema: { tags: ['audit'], querystring: LimitQuery(1000), response: { 200: page(AuditEntrySchema) } } }, (req) => {
    const caller = callerOf(req);
    must(caller, { kind: 'audit.read' }, 'audit', 'account administration is required');
    const before = decodeCursor(req.query.cursor, isNumber);
    const rows = s.ctx.audit.listScope(caller.accountPath, before, req.query.limit + 1);
    return toPage(rows, req.query.limit, (row) => toAuditEntry(caller, row), (row) => row.seq);
  });
}
