/**
 * buildApp(deps) -> a ready Fastify instance with every route; tests drive it with inject or a
 * port. Process concerns (listen, signals, the broker's listeners) live in server.ts.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { accountRoutes } from './http/account-routes.js';
import { installAuth } from './http/auth-hook.js';
import { authRoutes } from './http/auth-routes.js';
import { deviceRoutes } from './http/device-routes.js';
import { installErrorHandler } from './http/error-handler.js';
import { opsRoutes } from './http/ops-routes.js';
import { serializerCompiler } from './http/serializer.js';
import { installPrecheck } from './http/precheck.js';
import { telemetryRoutes } from './http/telemetry-routes.js';
import { webRoutes } from './http/web-routes.js';
import type { Services } from './http/services.js';
import { createMetrics, type Metrics } from './metrics.js';
import { AccountService } from './services/accounts.js';
import { AssignmentService } from './services/assignment.js';
import { AuthService } from './services/auth.js';
import { createContext } from './services/context.js';
import { DeviceService } from './services/devices.js';
import { TelemetryService } from './services/telemetry.js';
import { TokenService } from './services/tokens.js';
import { UserService } from './services/users.js';
import type { Db } from './store/db.js';
import { DeviceStore } from './store/device-store.js';

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  now?: () => number;
  /** HTTPS options when TLS is configured (server.ts reads the files). */
  https?: { cert: Buffer; key: Buffer };
}

export interface App {
  http: FastifyInstance;
  services: Services;
  metrics: Metrics;
}

export function buildServices(deps: AppDeps): Services {
  const ctx = createContext(deps.config, deps.db, deps.log, deps.now);
  const auth = new AuthService(ctx);
  const deviceStore = new DeviceStore(deps.db);
  return { ctx, auth, accounts: new AccountService(ctx), users: new UserService(ctx, auth), tokens: new TokenService(ctx, auth), telemetry: new TelemetryService(ctx),
    devices: new DeviceService(ctx, deviceStore), assignment: new AssignmentService(ctx, deviceStore) };
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const services = buildServices(deps);
  const metrics = createMetrics(deps.db);
  const opts: FastifyServerOptions = {
    loggerInstance: deps.log.child({ mod: 'http' }),
    bodyLimit: 1024 * 1024,
    // The REST API never needs a proto key; refuse them rather than strip them.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: undefined,
    ...(deps.https ? { https: deps.https } : {}),
  };
  const http = Fastify(opts) as unknown as FastifyInstance;
  http.setValidatorCompiler(validatorCompiler);
  http.setSerializerCompiler(serializerCompiler);
  installErrorHandler(http);
  await http.register(swagger, {
    openapi: { info: { title: 'Fleet registry', version: '1', description: 'Nested customers, users and devices; see README and CONTRACT.md' } },
    transform: jsonSchemaTransform,
  });
  await http.register(rateLimit, { global: false });
  installAuth(http, services.auth);
  installPrecheck(http);
  http.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
  authRoutes(http, services, () => metrics.loginFailures.inc());
  accountRoutes(http, services);
  deviceRoutes(http, services);
  opsRoutes(http, services, metrics, deps.config.METRICS_TOKEN);
  telemetryRoutes(http, services.telemetry);
  await webRoutes(http);
  return { http, services, metrics };
}
