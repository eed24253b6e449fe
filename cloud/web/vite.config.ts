/**
 * Builds the console (cloud/web) into cloud/web/dist, which cloud/http/web-routes.ts serves at `/`.
 * Run from the repository root: `vite build --config cloud/web/vite.config.ts` (part of `npm run build`).
 */
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [preact({ prefreshEnabled: false, devToolsEnabled: false })],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in the served bundle; the MQTT client (about 330 kB) is a lazy chunk of its own.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite --config cloud/web/vite.config.ts` during development, against a local registry.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/mqtt': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
});
