/**
 * What the console's browser tests and the screenshot script share: the built console (built once
 * if missing), Debian's Chromium driven by playwright-core, and a real registry with its broker on
 * 127.0.0.1 ephemeral ports serving the console at its HTTP address.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startMqttRegistry, type MqttRegistry } from './mqtt-harness.js';

/** The repository root, from test/helpers (vitest) or dist/test/helpers (compiled scripts). */
const repo = ['../../', '../../../'].map((up) => fileURLToPath(new URL(up, import.meta.url))).find((dir) => existsSync(`${dir}cloud/web/vite.config.ts`))!;

/** Newest modification time under a folder (the console's sources). */
function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }, 0);
}

/** Builds cloud/web into cloud/web/dist when missing or older than its sources (about 2 s). */
export function ensureConsoleBuilt(): void {
  const index = `${repo}cloud/web/dist/index.html`;
  const sources = Math.max(newest(`${repo}cloud/web/src`), statSync(`${repo}cloud/web/index.html`).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(`${repo}node_modules/.bin/vite`, ['build', '--config', 'cloud/web/vite.config.ts', '--logLevel', 'warn'], { cwd: repo, stdio: 'inherit', timeout: 120_000 });
}

/** Debian's Chromium (apt `chromium`, 156 matches playwright-core 1.64), headless, no network chatter. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface ConsoleRegistry extends MqttRegistry {
  /** `http://127.0.0.1:<port>`: the console and the API. */
  baseUrl: string;
}

export async function startConsoleRegistry(): Promise<ConsoleRegistry> {
  ensureConsoleBuilt();
  const reg = await startMqttRegistry();
  return Object.assign(reg, { baseUrl: `http://127.0.0.1:${reg.httpPort}` });
}
