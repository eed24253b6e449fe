/**
 * The console's routes: built files and the single-page fallback are public, the API keeps its
 * JSON 404, hashed assets are cached for good, and a missing build says how to make one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../cloud/http/error-handler.js';
import { webRoutes } from '../../cloud/http/web-routes.js';

const dirs: string[] = [];
const apps: FastifyInstance[] = [];

async function serve(built: boolean): Promise<FastifyInstance> {
  const root = mkdtempSync(join(tmpdir(), 'web-routes-'));
  dirs.push(root);
  if (built) {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  }
  const app = Fastify();
  apps.push(app);
  installErrorHandler(app);
  // Stand-in for the bearer hook: everything not marked public needs a token.
  app.addHook('onRequest', async (req, reply) => {
    if (!req.routeOptions.config?.public && req.routeOptions.url) return reply.code(401).send({ error: { code: 'unauthorized', message: 'no' } });
  });
  app.get('/v1/me', () => ({ me: true }));
  await webRoutes(app, { root });
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('console routes', () => {
  it('serves index.html at / and for any console path, without a token', async () => {
    const app = await serve(true);
    for (const url of ['/', '/customers', '/devices/1234', '/users?account=x']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(/text\/html/);
      expect(r.body).toContain('<title>console</title>');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('keeps the API answers: unknown /v1 paths are a JSON 404, known ones still need a token', async () => {
    const app = await serve(true);
    for (const url of ['/v1', '/v1/nope', '/v1/devices/abc/x']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json()).toHaveProperty('error.code');
    }
    expect((await app.inject({ method: 'GET', url: '/v1/me' })).statusCode).toBe(401);
  });

  it('serves hashed assets with a long cache, and 404s unknown ones', async () => {
    const app = await serve(true);
    const ok = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    for (const url of ['/assets/../../etc/passwd', '/assets/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fetc%2fpasswd']) {
      expect((await app.inject({ method: 'GET', url })).body, url).not.toContain('root:');
    }
  });

  it('says how to build the console when it is missing', async () => {
    const app = await serve(false);
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('npm run build');
  });
});
