/** Devices, the bulk "Process" and ownership history. Thin: parse, call a service, answer. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AssignAnswer, AssignBody, DeviceListQuery, DeviceSchema, DeviceSecretSchema, IdParams, ImportAnswer, ImportBody,
  OwnershipAnswer, PatchDeviceBody, RegisterDeviceBody, RegisteredDeviceSchema, page,
} from '../../protocol/api.js';
import { Errors } from '../errors.js';
import { callerOf } from './auth-hook.js';
import { pathId } from './precheck.js';
import type { Services } from './services.js';

/** Body limit of `POST /v1/devices/import`: 10 000 rows fit with room to spare. */
export const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

export function deviceRoutes(app: FastifyInstance, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['devices'];
  // Prechecks (http/precheck.ts): with a bad body or query, the 404/403 still comes first.
  const raw = (req: FastifyRequest, key: string): unknown => ((req.body ?? req.query) as Record<string, unknown> | null)?.[key];
  const mayRegister = { precheck: (req: FastifyRequest) => s.devices.precheckRegister(callerOf(req), raw(req, 'accountId')) };
  const mayImport = { precheck: (req: FastifyRequest) => s.devices.precheckRegister(callerOf(req), undefined) };
  const mayList = { precheck: (req: FastifyRequest) => s.devices.precheckList(callerOf(req), raw(req, 'accountId')) };
  const mayRename = { precheck: (req: FastifyRequest) => s.devices.precheckRename(callerOf(req), pathId(req)) };
  const mayAssign = { precheck: (req: FastifyRequest) => void s.assignment.precheck(callerOf(req), raw(req, 'accountId')) };

  r.post('/v1/devices', { config: mayRegister, schema: { tags, body: RegisterDeviceBody, response: { 201: RegisteredDeviceSchema } } }, async (req, reply) =>
    reply.code(201).send(await s.devices.register(callerOf(req), req.body)),
  );
  r.get('/v1/devices', { config: mayList, schema: { tags, querystring: DeviceListQuery, response: { 200: page(DeviceSchema) } } }, (req) =>
    s.devices.list(callerOf(req), req.query),
  );
  r.post('/v1/devices/assign', { config: mayAssign, schema: { tags, body: AssignBody, response: { 200: AssignAnswer } } }, (req) =>
    s.assignment.assign(callerOf(req), req.body),
  );
  r.get('/v1/devices/:id', { schema: { tags, params: IdParams, response: { 200: DeviceSchema } } }, (req) =>
    s.devices.get(callerOf(req), req.params.id),
  );
  r.patch('/v1/devices/:id', { config: mayRename, schema: { tags, params: IdParams, body: PatchDeviceBody, response: { 200: DeviceSchema } } }, (req) =>
    s.devices.rename(callerOf(req), req.params.id, req.body.name),
  );
  r.delete('/v1/devices/:id', { schema: { tags, params: IdParams } }, async (req, reply) => {
    s.devices.decommission(callerOf(req), req.params.id);
    return reply.code(204).send();
  });
  r.post('/v1/devices/:id/secret', { schema: { tags, params: IdParams, response: { 200: DeviceSecretSchema } } }, async (req) =>
    s.devices.rotateSecret(callerOf(req), req.params.id),
  );
  r.get('/v1/devices/:id/ownership', { schema: { tags, params: IdParams, response: { 200: OwnershipAnswer } } }, (req) =>
    s.devices.ownership(callerOf(req), req.params.id),
  );

  // The import accepts CSV too; its parser is registered in a child scope so no other route
  // takes text/csv (they keep answering 415 for it).
  void app.register(async (scope) => {
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/v1/devices/import',
      { bodyLimit: IMPORT_BODY_LIMIT, config: mayImport, schema: { tags, body: ImportBody, response: { 201: ImportAnswer } } },
      async (req, reply) => {
        // A JSON string is not a CSV upload: only a text/csv body reaches the CSV reader.
        const csv = /^text\/csv\b/i.test(req.headers['content-type'] ?? '');
        if (typeof req.body === 'string' && !csv) throw Errors.invalid('devices', 'send {"devices":[...]} as JSON, or the CSV as text/csv');
        return reply.code(201).send(await s.devices.import(callerOf(req), req.body));
      },
    );
  });
}
