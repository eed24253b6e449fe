/** Accounts (nested customers) and their users. Thin: parse, call a service, answer. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AccountSchema, CreateAccountBody, CreateUserBody, IdParams, LimitQuery, PatchAccountBody, PatchUserBody, UserSchema, page,
} from '../../protocol/api.js';
import { callerOf } from './auth-hook.js';
import { pathId } from './precheck.js';
import type { Services } from './services.js';

export function accountRoutes(app: FastifyInstance, s: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['accounts'];

  r.get('/v1/accounts', { schema: { tags, querystring: LimitQuery(1000), response: { 200: page(AccountSchema) } } }, (req) =>
    s.accounts.list(callerOf(req), req.query.limit, req.query.cursor),
  );
  r.post('/v1/accounts', { schema: { tags, body: CreateAccountBody, response: { 201: AccountSchema } } }, async (req, reply) =>
    reply.code(201).send(s.accounts.create(callerOf(req), req.body)),
  );
  r.get('/v1/accounts/:id', { schema: { tags, params: IdParams, response: { 200: AccountSchema } } }, (req) =>
    s.accounts.get(callerOf(req), req.params.id),
  );
  // Precheck: the account is visible and the caller administers accounts (else 404/403, before 400).
  const adminOfAccount = (req: FastifyRequest) => s.accounts.precheck(callerOf(req), pathId(req));
  const adminOfUser = (req: FastifyRequest) => s.users.precheck(callerOf(req), pathId(req));
  r.patch('/v1/accounts/:id', { config: { precheck: adminOfAccount }, schema: { tags, params: IdParams, body: PatchAccountBody, response: { 200: AccountSchema } } }, (req) =>
    s.accounts.update(callerOf(req), req.params.id, req.body),
  );
  r.delete('/v1/accounts/:id', { schema: { tags, params: IdParams } }, async (req, reply) => {
    s.accounts.delete(callerOf(req), req.params.id);
    return reply.code(204).send();
  });

  const utags = ['users'];
  r.get('/v1/accounts/:id/users', { config: { precheck: adminOfAccount }, schema: { tags: utags, params: IdParams, querystring: LimitQuery(1000), response: { 200: page(UserSchema) } } }, (req) =>
    s.users.list(callerOf(req), req.params.id, req.query.limit, req.query.cursor),
  );
  r.post('/v1/accounts/:id/users', { config: { precheck: adminOfAccount }, schema: { tags: utags, params: IdParams, body: CreateUserBody, response: { 201: UserSchema } } }, async (req, reply) =>
    reply.code(201).send(await s.users.create(callerOf(req), req.params.id, req.body)),
  );
  r.patch('/v1/users/:id', { config: { precheck: adminOfUser }, schema: { tags: utags, params: IdParams, body: PatchUserBody, response: { 200: UserSchema } } }, (req) =>
    s.users.update(callerOf(req), req.params.id, req.body),
  );
  r.delete('/v1/users/:id', { schema: { tags: utags, params: IdParams } }, async (req, reply) => {
    s.users.delete(callerOf(req), req.params.id);
    return reply.code(204).send();
  });
}
