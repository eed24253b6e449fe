/**
 * Saves a PNG of each console page under docs/screenshots/ (referenced from the README): a real
 * registry on loopback with a small demo fleet, Debian's Chromium at 1280 px and at phone width.
 *
 *   npm run build && node dist/scripts/screenshots.js
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { deviceTopic } from '../protocol/topics.js';
import { launchChromium, startConsoleRegistry, type ConsoleRegistry } from '../test/helpers/console-harness.js';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../test/helpers/registry.js';

/** Run compiled, from dist/scripts/: the repository's docs/screenshots/. */
const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const UNITS = Array.from({ length: 12 }, (_, i) => `b827eb00a1${(0x10 + i).toString(16)}c0de`);
const NAMES = ['Van 01', 'Van 02', 'Van 03', 'Truck 11', 'Truck 12', 'Truck 13', 'Car 21', 'Car 22', 'Car 23', 'Bus 31', 'Bus 32', 'Spare unit'];

async function api(reg: ConsoleRegistry, method: string, url: string, body?: unknown): Promise<any> {
  const a = await reg.req(method, url, { token: reg.rootToken, ...(body === undefined ? {} : { body }) });
  if (a.status >= 300) throw new Error(`${method} ${url}: ${a.status} ${a.text}`);
  return a.body;
}

/** A small fleet: two customers with nested ones, devices spread over them, a few users. */
async function seed(reg: ConsoleRegistry) {
  const acme = await api(reg, 'POST', '/v1/accounts', { name: 'Acme Logistics', parentId: reg.rootAccountId, settings: { telemetryIntervalMs: 10000 } });
  const north = await api(reg, 'POST', '/v1/accounts', { name: 'Acme North', parentId: acme.id });
  await api(reg, 'POST', '/v1/accounts', { name: 'Acme South', parentId: acme.id, settings: { gnss: false } });
  const nordic = await api(reg, 'POST', '/v1/accounts', { name: 'Nordic Rentals', parentId: reg.rootAccountId });
  await api(reg, 'POST', '/v1/accounts', { name: 'Nordic Airport', parentId: nordic.id });
  const devices: Array<{ id: string; secret: string; unitId: string }> = [];
  for (const [i, unitId] of UNITS.entries()) {
    const d = await api(reg, 'POST', '/v1/devices', { unitId, name: NAMES[i] });
    devices.push({ id: d.id, secret: d.secret, unitId });
  }
  await api(reg, 'POST', '/v1/devices/assign', { accountId: acme.id, deviceIds: devices.slice(0, 3).map((d) => d.id) });
  await api(reg, 'POST', '/v1/devices/assign', { accountId: north.id, deviceIds: devices.slice(3, 5).map((d) => d.id) });
  await api(reg, 'POST', '/v1/devices/assign', { accountId: nordic.id, deviceIds: devices.slice(6, 9).map((d) => d.id) });
  await api(reg, 'POST', `/v1/accounts/${nordic.id}/users`, { email: 'fleet@nordic.test', name: 'Nora Fleet', password: 'nordic-pass-1', deviceAccess: 'full', accountAdmin: true });
  await api(reg, 'POST', `/v1/accounts/${acme.id}/users`, { email: 'driver@acme.test', name: 'Dan Driver', password: 'acme-driver-1', deviceAccess: 'read', accountAdmin: false });
  return { acme, devices };
}

/** Connects a device that applies its ownership message as its agent would (so it shows "Applied"). */
async function applyOwnership(reg: ConsoleRegistry, dev: { unitId: string; secret: string }) {
  const client = await reg.device(dev.unitId, dev.secret);
  const applied = new Promise<void>((resolve) => {
    client.on('message', (topic, payload) => {
      if (topic !== deviceTopic(dev.unitId, 'ownership')) return;
      const { epoch, issuedAt } = JSON.parse(payload.toString()) as { epoch: number; issuedAt: number };
      void client.publishAsync(deviceTopic(dev.unitId, 'ownership/ack'), JSON.stringify({ epoch, issuedAt }), { qos: 1 }).then(() => resolve());
    });
  });
  await client.subscribeAsync(deviceTopic(dev.unitId, 'ownership'), { qos: 1 });
  await applied;
  return client;
}

/** A few records from the first device, as its agent would send them, for the device page. */
async function drive(reg: ConsoleRegistry, dev: { unitId: string; secret: string }) {
  const client = await applyOwnership(reg, dev);
  const now = Date.now();
  const records = Array.from({ length: 6 }, (_, i) => [
    { seq: 2 * i + 1, epoch: 2, ts: now - (6 - i) * 10_000, kind: 'gnss', data: { lat: 55.6761 + i * 0.0004, lon: 12.5683 + i * 0.0006, speedMps: 11 + i } },
    { seq: 2 * i + 2, epoch: 2, ts: now - (6 - i) * 10_000 + 1, kind: 'obd', data: { rpm: 1800 + i * 90, speedKmh: 40 + i * 3, coolantTempC: 88 } },
  ]).flat();
  await client.publishAsync(deviceTopic(dev.unitId, 'telemetry'), JSON.stringify({ stream: 'screenshot-stream', records }), { qos: 1 });
  return client;
}

async function shot(page: Page, name: string) {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${OUT}${name}.png` });
  process.stdout.write(`docs/screenshots/${name}.png\n`);
}

async function logIn(page: Page, reg: ConsoleRegistry) {
  await page.goto(reg.baseUrl);
  await page.getByLabel('Email').fill(ROOT_EMAIL);
  await page.getByLabel('Password').fill(ROOT_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Customers' }).waitFor();
}

async function desktop(page: Page, reg: ConsoleRegistry, acmeId: string) {
  await page.goto(reg.baseUrl);
  await shot(page, '01-login');
  await logIn(page, reg);
  for (const name of ['Acme Logistics', 'Nordic Rentals']) await page.getByRole('button', { name: `Expand ${name}` }).click();
  await page.getByRole('button', { name: 'Create customer' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Acme West');
  await page.getByLabel('Parent customer').selectOption(acmeId);
  await shot(page, '02-customers');

  await page.getByRole('link', { name: 'Devices', exact: true }).click();
  await page.getByRole('table', { name: 'Devices' }).getByText('Van 01').waitFor();
  await shot(page, '03-devices');

  await page.getByRole('link', { name: 'Manage devices' }).click();
  await page.getByLabel('Target customer').selectOption(acmeId);
  await page.getByLabel('Paste unit ids or device ids').check();
  await page.getByLabel('Unit ids or device ids', { exact: true }).fill(`${UNITS[9]}\n${UNITS[10]}, ${UNITS[0]}`);
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('table', { name: 'Preview result' }).waitFor();
  await shot(page, '04-manage-devices-preview');

  await page.getByLabel('Unit ids or device ids', { exact: true }).fill(`${UNITS[9]}\nb827eb00ffffffff`);
  await page.getByRole('button', { name: 'Process' }).click();
  await page.getByRole('heading', { name: 'Nothing was moved' }).waitFor();
  await shot(page, '05-manage-devices-error');

  await page.getByLabel('Search and select').check();
  await page.getByRole('combobox', { name: 'Find devices' }).fill('Truck');
  await page.getByRole('listbox', { name: 'Matching devices' }).getByRole('option').first().waitFor();
  await shot(page, '06-manage-devices-dropdown');

  await page.getByRole('link', { name: 'Customers' }).click();
  await page.getByRole('link', { name: 'Users of Acme Logistics' }).click();
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Olivia Ops');
  await page.getByLabel('Email').fill('ops@acme.test');
  await page.getByRole('switch', { name: 'Account Administration' }).check();
  await shot(page, '07-users');

  await page.getByRole('link', { name: 'Devices', exact: true }).click();
  await page.getByRole('link', { name: 'Van 01' }).click();
  await page.getByTestId('live-state').filter({ hasText: 'Live:' }).waitFor();
  await page.getByTestId('rpm').filter({ hasText: 'rpm' }).waitFor();
  await shot(page, '08-device-live');

  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('table', { name: 'Audit entries' }).getByRole('row').nth(3).waitFor();
  await shot(page, '09-audit');
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const reg = await startConsoleRegistry();
  const browser = await launchChromium();
  try {
    const { acme, devices } = await seed(reg);
    const client = await drive(reg, devices[0]!);
    for (const d of [devices[1]!, devices[3]!, devices[6]!, devices[11]!]) await (await applyOwnership(reg, d)).endAsync();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await desktop(page, reg, acme.id);
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 1 });
    await logIn(phone, reg);
    await phone.getByRole('button', { name: 'Expand Acme Logistics' }).click();
    await shot(phone, '10-phone-customers');
    await client.endAsync();
  } finally {
    await browser.close();
    await reg.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`screenshots failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
