/**
 * The console (cloud/web, built by `npm run build` into cloud/web/dist) served at `/` from the same
 * process. Public routes (the bearer hook skips them): the console holds no data of its own and
 * talks to the API with the user's token like any other client. Any GET outside `/v1` that is not
 * a built file answers index.html (single-page app fallback), so a reload on /devices works.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Options of {@link webRoutes}. */
export interface WebRoutesOptions {
  /**
   * Folder holding the built console. Default: the first of `cloud/web/dist` next to this source
   * file (tests run the .ts) or beside the repository root when running the compiled `dist/`.
   */
  root?: string;
}

const CANDIDATES = [new URL('../web/dist/', import.meta.url), new URL('../../../cloud/web/dist/', import.meta.url)].map((u) => fileURLToPath(u));

/**
 * The console only talks to its own origin (REST and MQTT over WebSocket); no inline script, no
 * framing. Styles set from script through the CSSOM are not affected by style-src.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT = 'The console is not built. Run `npm run build` (or `npm start`, which builds first), then reload.\n';

/** Re-checked on each miss so a build made after the registry started is picked up. */
function findRoot(explicit: string | undefined): string | undefined {
  const list = explicit ? [explicit] : CANDIDATES;
  return list.find((dir) => existsSync(`${dir}/index.html`));
}

export async function webRoutes(app: FastifyInstance, opts: WebRoutesOptions = {}): Promise<void> {
  // serve: false: only reply.sendFile, so every route below is ours and carries `public`.
  await app.register(fastifyStatic, { serve: false });
  let root: string | undefined;
  const rootNow = () => (root ??= findRoot(opts.root));

  const sendIndex = (reply: FastifyReply) => {
    const dir = rootNow();
    if (!dir) return reply.type('text/plain; charset=utf-8').send(NOT_BUILT);
    // Never cached, so a new build is picked up on the next load.
    return reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').sendFile('index.html', dir, { cacheControl: false });
  };

  const config = { public: true };
  const schema = { hide: true };
  app.get('/', { config, schema }, (_req, reply) => sendIndex(reply));
  // Vite names built assets by content hash, so they may be cached for good.
  app.get('/assets/*', { config, schema }, (req: FastifyRequest<{ Params: { '*': string } }>, reply) => {
    const dir = rootNow();
    if (!dir) return reply.callNotFound();
    return reply.headers(SECURITY_HEADERS).sendFile(`assets/${req.params['*']}`, dir, { immutable: true, maxAge: '365d' });
  });
  app.get('/*', { config, schema }, (req, reply) => {
    // The API keeps its own 404 (JSON, contract error shape); only console paths fall back.
    if (req.url === '/v1' || req.url.startsWith('/v1/') || req.url.startsWith('/v1?')) return reply.callNotFound();
    return sendIndex(reply);
  });
}
