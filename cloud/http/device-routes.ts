/** Devices, the bulk "Process" and ownership history. Thin: parse, call a service, answer. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AssignAnswer, AssignBody, DeviceListQuery, DeviceSchema, DeviceSecretSchema, IdParams, ImportAnswer, ImportBody,
  OwnershipAnswer, PatchDeviceBody, RegisterDeviceBody, RegisteredDeviceSchema, page,
} from '../../protocol/api.js';
import { Errors } from '../errors.js';
import { callerOf } from './auth-hook.js';
import type { Services } from './services.js';

/** Body limit of `POST /v1/devices/import`: 10 000 rows fit with room to spare. */
export const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

export function deviceRoutes(app: FastifyInstance, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['devices'];

  r.post('/v1/devices', { schema: { tags, body: RegisterDeviceBody, response: { 201: RegisteredDeviceSchema } } }, async (req, reply) =>
    reply.code(201).send(await s.devices.register(callerOf(req), req.body)),
  );
  r.get('/v1/devices', { schema: { tags, querystring: DeviceListQuery, response: { 200: page(DeviceSchema) } } }, (req) =>
    s.devices.list(callerOf(req), req.query),
  );
  r.post('/v1/devices/assign', { schema: { tags, body: AssignBody, response: { 200: AssignAnswer } } }, (req) =>
    s.assignment.assign(callerOf(req), req.body),
  );
  r.get('/v1/devices/:id', { schema: { tags, params: IdParams, response: { 200: DeviceSchema } } }, (req) =>
    s.devices.get(callerOf(req), req.params.id),
  );
  r.patch('/v1/devices/:id', { schema: { tags, params: IdParams, body: PatchDeviceBody, response: { 200: DeviceSchema } } }, (req) =>
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
      { bodyLimit: IMPORT_BODY_LIMIT, schema: { tags, body: ImportBody, response: { 201: ImportAnswer } } },
      async (req, reply) => {
        // A JSON string is not a CSV upload: only a text/csv body reaches the CSV reader.
        const csv = /^text\/csv\b/i.test(req.headers['content-type'] ?? '');
        if (typeof req.body === 'string' && !csv) throw Errors.invalid('devices', 'send {"devices":[...]} as JSON, or the CSV as text/csv');
        return reply.code(201).send(await s.devices.import(callerOf(req), req.body));
      },
    );
  });
}
