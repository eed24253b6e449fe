/** Login, logout, the caller's profile and API tokens. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { CreateTokenBody, CreatedTokenSchema, IdParams, LoginAnswer, LoginBody, MeAnswer, PatchMeBody, TokenSchema, page } from '../../protocol/api.js';
import { AppError } from '../errors.js';
import { toUser } from '../services/users.js';
import { callerOf } from './auth-hook.js';
import type { Services } from './services.js';

/** Contract: at most 100 login attempts a minute from one address. */
const LOGIN_PER_IP = { max: 100, timeWindow: 60_000 };

export function authRoutes(app: FastifyInstance, s: Services, onLoginFailure: () => void): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];

  r.post('/v1/auth/login', {
    config: {
      public: true,
      rateLimit: {
        ...LOGIN_PER_IP,
        errorResponseBuilder: (_req, c) => new AppError(429, 'too_many_requests', `too many login attempts from this address; retry in ${Math.ceil(c.ttl / 1000)} s`),
      },
    },
    schema: { tags, body: LoginBody, response: { 200: LoginAnswer } },
  }, async (req) => {
    try {
      const { token, expiresAt, user } = await s.auth.login(req.body.email, req.body.password);
      return { token, expiresAt, user: toUser(user) };
    } catch (e) {
      onLoginFailure();
      throw e;
    }
  });
  r.post('/v1/auth/logout', { schema: { tags } }, async (req, reply) => {
    s.auth.logout(callerOf(req));
    return reply.code(204).send();
  });
  r.get('/v1/me', { schema: { tags, response: { 200: MeAnswer } } }, (req) => s.users.me(callerOf(req)));
  r.patch('/v1/me', { schema: { tags, body: PatchMeBody, response: { 200: MeAnswer } } }, (req) => s.users.patchMe(callerOf(req), req.body));

  r.get('/v1/tokens', { schema: { tags, response: { 200: page(TokenSchema) } } }, (req) => s.tokens.list(callerOf(req)));
  r.post('/v1/tokens', { schema: { tags, body: CreateTokenBody, response: { 201: CreatedTokenSchema } } }, async (req, reply) =>
    reply.code(201).send(s.tokens.create(callerOf(req), req.body)),
  );
  r.delete('/v1/tokens/:id', { schema: { tags, params: IdParams } }, async (req, reply) => {
    s.tokens.delete(callerOf(req), req.params.id);
    return reply.code(204).send();
  });
}
