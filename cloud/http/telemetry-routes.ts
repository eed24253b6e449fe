/** GET /v1/devices/:id/telemetry: records the caller may see, oldest first, paginated. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParams } from '../../protocol/api.js';
import type { TelemetryService } from '../services/telemetry.js';
import { callerOf } from './auth-hook.js';

const Ms = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Query = z.object({
  from: Ms.optional(),
  to: Ms.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
  order: z.enum(['asc', 'desc']).default('asc'),
});
const RecordSchema = z.object({
  stream: z.string(), seq: z.number().int(), epoch: z.number().int(), ts: z.number().int(), kind: z.string(),
  accountId: z.string(), data: z.record(z.string(), z.unknown()),
});

export function telemetryRoutes(app: FastifyInstance, telemetry: TelemetryService): void {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/devices/:id/telemetry', {
    schema: { tags: ['telemetry'], params: IdParams, querystring: Query, response: { 200: z.object({ items: z.array(RecordSchema), nextCursor: z.string().nullable() }) } },
  }, (req) => telemetry.read(callerOf(req), req.params.id, req.query));
}
