/**
 * The console in Debian's Chromium against a real registry (SQLite in a temp dir, broker with
 * MQTT over WebSocket at /mqtt): the walkthrough of a root admin (nested customer, bulk Process by
 * paste with Preview, an administrator on it), what that nested admin sees and may grant, a refused
 * paste that moves nothing, live telemetry, phone width, and an ended session.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../protocol/topics.js';
import { launchChromium, startConsoleRegistry, type ConsoleRegistry } from '../helpers/console-harness.js';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../helpers/registry.js';

const ROOT_UNITS = ['c0ffee0000000001', 'c0ffee0000000002', 'c0ffee0000000003', 'c0ffee0000000004'];
const SIBLING_UNIT = '5eb1b1000000000a';
const UNKNOWN_UNIT = 'ffffffffffff0000';
const ADMIN = { name: 'Olivia Ops', email: 'ops@acme.test', password: 'acme-admin-pw-1' };
const STEP = 20_000;

let reg: ConsoleRegistry;
let browser: Browser;
const devices = new Map<string, { id: string; secret: string }>();

async function device(unitId: string) {
  const a = await reg.req('GET', `/v1/devices/${devices.get(unitId)!.id}`, { token: reg.rootToken });
  return a.body as { accountId: string; epoch: number };
}

async function accountNamed(name: string) {
  const all = (await reg.req('GET', '/v1/accounts', { token: reg.rootToken })).body.items as Array<{ id: string; name: string; parentId: string; settings: unknown }>;
  return all.find((a) => a.name === name);
}

async function logIn(page: Page, email: string, password: string) {
  await page.goto(reg.baseUrl);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Customers' }).waitFor({ timeout: STEP });
}

async function openManage(page: Page) {
  await page.getByRole('link', { name: 'Devices', exact: true }).click();
  await page.getByRole('link', { name: 'Manage devices' }).click();
  await page.getByRole('heading', { name: 'Manage devices' }).waitFor();
}

beforeAll(async () => {
  reg = await startConsoleRegistry();
  browser = await launchChromium();
  for (const u of ROOT_UNITS) devices.set(u, await reg.register(u));
  const sibling = await reg.createAccount(reg.rootToken, reg.rootAccountId, 'Sibling Co');
  devices.set(SIBLING_UNIT, await reg.register(SIBLING_UNIT, sibling.id));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await reg?.close();
});

describe('console walkthrough', () => {
  let root: Page;

  it('a root admin creates a nested customer with settings, and one below it', async () => {
    root = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logIn(root, ROOT_EMAIL, ROOT_PASSWORD);
    // The session token lives in memory only: no storage, no cookie, not in the address.
    expect(await root.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    expect(await root.context().cookies()).toEqual([]);
    expect(root.url()).toBe(`${reg.baseUrl}/customers`);
    await root.getByRole('button', { name: 'Create customer' }).click();
    await root.getByLabel('Name', { exact: true }).fill('Acme Logistics');
    await root.getByLabel('Telemetry interval (ms)').fill('10000');
    await root.getByLabel('GNSS').selectOption('on');
    await root.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => root.getByRole('status').first().textContent()).toBe('Acme Logistics created.');
    const acme = await accountNamed('Acme Logistics');
    expect(acme).toMatchObject({ parentId: reg.rootAccountId, settings: { telemetryIntervalMs: 10000, gnss: true } });

    await root.getByRole('button', { name: 'Add a customer under Acme Logistics' }).click();
    await root.getByLabel('Name', { exact: true }).fill('Acme North');
    await root.getByRole('button', { name: 'Create', exact: true }).click();
    await root.getByRole('button', { name: 'Expand Acme Logistics' }).or(root.getByRole('button', { name: 'Collapse Acme Logistics' })).waitFor();
    await expect.poll(async () => (await accountNamed('Acme North'))?.parentId).toBe(acme!.id);
    await expect.poll(() => root.getByRole('list', { name: 'Customers of Acme Logistics' }).textContent()).toContain('Acme North');
  }, 60_000);

  it('assigns devices by paste: Preview changes nothing, Process moves them', async () => {
    const acme = (await accountNamed('Acme Logistics'))!;
    await openManage(root);
    await root.getByLabel('Target customer').selectOption(acme.id);
    await root.getByLabel('Paste unit ids or device ids').check();
    // One per line and comma separated, in upper case: the registry lower-cases unit ids.
    await root.getByLabel('Unit ids or device ids', { exact: true }).fill(`${ROOT_UNITS[0]}\n${ROOT_UNITS[1]!.toUpperCase()},`);
    await root.getByRole('button', { name: 'Preview' }).click();
    const preview = root.getByRole('table', { name: 'Preview result' });
    await preview.waitFor({ timeout: STEP });
    expect(await preview.getByRole('row').filter({ hasText: 'Will move' }).count()).toBe(2);
    expect(await root.getByText('2 devices will move, 0 unchanged').count()).toBe(1);
    expect((await device(ROOT_UNITS[0]!)).accountId).toBe(reg.rootAccountId);

    await root.getByRole('button', { name: 'Process' }).click();
    await root.getByText('2 devices moved, 0 unchanged.').waitFor({ timeout: STEP });
    for (const u of ROOT_UNITS.slice(0, 2)) expect(await device(u)).toMatchObject({ accountId: acme.id, epoch: 2 });
  }, 60_000);

  it('assigns a device picked in the searchable dropdown to the customer below', async () => {
    const north = (await accountNamed('Acme North'))!;
    await root.getByLabel('Target customer').selectOption(north.id);
    await root.getByLabel('Search and select').check();
    const box = root.getByRole('combobox', { name: 'Find devices' });
    await box.fill(ROOT_UNITS[2]!.slice(-6));
    const options = root.getByRole('listbox', { name: 'Matching devices' }).getByRole('option');
    await options.filter({ hasText: ROOT_UNITS[2]! }).waitFor({ timeout: STEP });
    await expect.poll(() => options.count()).toBe(1);
    await box.press('Enter');
    await root.getByRole('list', { name: 'Selected devices' }).getByText(ROOT_UNITS[2]!).waitFor();
    await root.getByRole('button', { name: 'Process' }).click();
    await root.getByText('1 device moved, 0 unchanged.').waitFor({ timeout: STEP });
    expect((await device(ROOT_UNITS[2]!)).accountId).toBe(north.id);
  }, 60_000);

  it('a paste with one unknown unit id lists it beside the paste and moves nothing', async () => {
    const acme = (await accountNamed('Acme Logistics'))!;
    await root.getByLabel('Target customer').selectOption(acme.id);
    await root.getByLabel('Paste unit ids or device ids').check();
    await root.getByLabel('Unit ids or device ids', { exact: true }).fill(`${ROOT_UNITS[3]}\n${UNKNOWN_UNIT}`);
    await root.getByRole('button', { name: 'Process' }).click();
    await root.getByRole('heading', { name: 'Nothing was moved' }).waitFor({ timeout: STEP });
    expect(await root.getByRole('alert').first().textContent()).toContain('1 entry refused');
    const rows = root.getByRole('table', { name: 'Entries as pasted' }).getByRole('row');
    expect(await rows.filter({ hasText: UNKNOWN_UNIT }).textContent()).toContain('unknown, or not visible to you');
    expect(await rows.filter({ hasText: ROOT_UNITS[3]! }).textContent()).toContain('OK');
    expect(await device(ROOT_UNITS[3]!)).toMatchObject({ accountId: reg.rootAccountId, epoch: 1 });
  }, 60_000);

  it('creates an administrator user on the nested customer', async () => {
    await root.getByRole('link', { name: 'Customers' }).click();
    await root.getByRole('link', { name: 'Users of Acme Logistics' }).click();
    await root.getByRole('heading', { name: 'Users of Acme Logistics' }).waitFor();
    await root.getByRole('button', { name: 'Create user' }).click();
    await root.getByLabel('Name', { exact: true }).fill(ADMIN.name);
    await root.getByLabel('Email').fill(ADMIN.email);
    await root.getByLabel('Password').fill(ADMIN.password);
    await root.getByLabel('Device access').selectOption('read');
    await root.getByRole('switch', { name: 'Account Administration' }).check();
    await root.getByRole('button', { name: 'Create user' }).last().click();
    await root.getByRole('cell', { name: ADMIN.email, exact: true }).waitFor({ timeout: STEP });
    const acme = (await accountNamed('Acme Logistics'))!;
    const users = (await reg.req('GET', `/v1/accounts/${acme.id}/users`, { token: reg.rootToken })).body.items;
    expect(users).toEqual([expect.objectContaining({ email: ADMIN.email, deviceAccess: 'read', accountAdmin: true })]);
  }, 60_000);

  it('edits and deletes a user', async () => {
    const acme = (await accountNamed('Acme Logistics'))!;
    await reg.req('POST', `/v1/accounts/${acme.id}/users`, {
      token: reg.rootToken,
      body: { email: 'temp@acme.test', name: 'Temp Person', password: 'temp-pass-12', deviceAccess: 'full', accountAdmin: false },
    });
    await root.getByRole('link', { name: 'Customers' }).click();
    await root.getByRole('link', { name: 'Users of Acme Logistics' }).click();
    await root.getByRole('button', { name: 'Edit temp@acme.test' }).click();
    await root.getByLabel('Name', { exact: true }).fill('Temp Reader');
    await root.getByLabel('Device access').selectOption('read');
    await root.getByRole('button', { name: 'Save' }).click();
    await root.getByRole('cell', { name: 'Temp Reader', exact: true }).waitFor({ timeout: STEP });
    const listed = async () => (await reg.req('GET', `/v1/accounts/${acme.id}/users`, { token: reg.rootToken })).body.items as Array<{ email: string; name: string; deviceAccess: string }>;
    expect((await listed()).find((u) => u.email === 'temp@acme.test')).toMatchObject({ name: 'Temp Reader', deviceAccess: 'read' });

    await root.getByRole('button', { name: 'Delete temp@acme.test' }).click();
    await root.getByRole('button', { name: 'Confirm delete' }).click();
    await root.getByRole('cell', { name: 'temp@acme.test', exact: true }).waitFor({ state: 'detached', timeout: STEP });
    expect((await listed()).map((u) => u.email)).toEqual([ADMIN.email]);
  }, 60_000);

  it('renames and deletes customers; a customer still in use says what it holds, in words', async () => {
    await root.getByRole('link', { name: 'Customers' }).click();
    await root.getByRole('button', { name: 'Delete Acme Logistics' }).click();
    await root.getByRole('button', { name: 'Confirm delete' }).click();
    await root.getByRole('alert').filter({ hasText: 'cannot be deleted' }).waitFor({ timeout: STEP });
    expect(await root.getByRole('alert').filter({ hasText: 'cannot be deleted' }).textContent()).toBe(
      'Acme Logistics cannot be deleted: it still holds 2 devices, 1 user and 1 nested customer. Move or delete them first.',
    );
    expect(await accountNamed('Acme Logistics')).toBeDefined();

    await root.getByRole('button', { name: 'Create customer' }).click();
    await root.getByLabel('Name', { exact: true }).fill('Temporary');
    await root.getByRole('button', { name: 'Create', exact: true }).click();
    await root.getByRole('button', { name: 'Edit Temporary' }).click();
    await root.getByLabel('Name', { exact: true }).fill('Short-lived');
    await root.getByLabel('OBD-II PIDs (mode 01)').fill('0c, 0D');
    await root.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await accountNamed('Short-lived'))?.settings).toEqual({ obdPids: ['0C', '0D'] });
    await root.getByRole('button', { name: 'Delete Short-lived' }).click();
    await root.getByRole('button', { name: 'Confirm delete' }).click();
    await expect.poll(() => root.getByRole('status').first().textContent()).toBe('Short-lived deleted.');
    expect(await accountNamed('Short-lived')).toBeUndefined();
  }, 60_000);
});

describe('as the nested administrator', () => {
  let page: Page;

  it('sees its customer subtree only: no root, no sibling, only its devices', async () => {
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await logIn(page, ADMIN.email, ADMIN.password);
    const tree = page.getByRole('list', { name: 'Customer tree' });
    await expect.poll(() => tree.textContent()).toContain('Acme North');
    expect(await tree.textContent()).not.toContain('Fleet operator');
    expect(await tree.textContent()).not.toContain('Sibling Co');

    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    const table = page.getByRole('table', { name: 'Devices' });
    await expect.poll(() => table.getByRole('row').count(), { timeout: STEP }).toBe(4);
    const text = await table.textContent();
    for (const u of ROOT_UNITS.slice(0, 3)) expect(text).toContain(u);
    expect(text).not.toContain(ROOT_UNITS[3]);
    expect(text).not.toContain(SIBLING_UNIT);
    // A read-only admin may not move devices, so the console does not offer it.
    expect(await page.getByRole('link', { name: 'Manage devices' }).count()).toBe(0);

    await page.getByLabel('Search devices').fill(SIBLING_UNIT);
    await page.getByText(`No devices match “${SIBLING_UNIT}”.`).waitFor({ timeout: STEP });
    // The sibling's device by its id (a reload would forget the in-memory session): not found.
    await page.evaluate((id) => {
      history.pushState(null, '', `/devices/${id}`);
      window.dispatchEvent(new Event('console:navigate'));
    }, devices.get(SIBLING_UNIT)!.id);
    await page.getByRole('alert').filter({ hasText: 'not found' }).waitFor({ timeout: STEP });
  }, 60_000);

  it('is offered no right it lacks in the user form, and may not edit a user holding more', async () => {
    const acme = (await accountNamed('Acme Logistics'))!;
    await reg.req('POST', `/v1/accounts/${acme.id}/users`, {
      token: reg.rootToken,
      body: { email: 'full@acme.test', name: 'Full Access', password: 'full-pass-123', deviceAccess: 'full', accountAdmin: false },
    });
    await page.getByRole('link', { name: 'Users' }).click();
    const row = page.getByRole('row').filter({ hasText: 'full@acme.test' });
    await row.waitFor({ timeout: STEP });
    expect(await row.getByRole('button').count()).toBe(0);
    expect(await row.textContent()).toContain('Holds rights you do not have');
    expect(await page.getByRole('button', { name: `Edit ${ADMIN.email}` }).count()).toBe(1);
    await page.getByRole('button', { name: 'Create user' }).click();
    const options = await page.getByLabel('Device access').locator('option').allTextContents();
    expect(options).toEqual(['None', 'Read']);
    expect(await page.getByRole('switch', { name: 'Account Administration' }).count()).toBe(1);
  }, 30_000);

  it('reads the audit of its subtree, with the root admin shown as an ancestor', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    const table = page.getByRole('table', { name: 'Audit entries' });
    await expect.poll(() => table.getByRole('row').count(), { timeout: STEP }).toBeGreaterThan(1);
    const text = await table.textContent();
    expect(text).toContain('An administrator above your account');
    expect(text).not.toContain(ROOT_EMAIL);
  }, 30_000);

  it('returns to the login page with a message when its session ends', async () => {
    const acme = (await accountNamed('Acme Logistics'))!;
    const users = (await reg.req('GET', `/v1/accounts/${acme.id}/users`, { token: reg.rootToken })).body.items as Array<{ id: string; email: string }>;
    const admin = users.find((u) => u.email === ADMIN.email)!;
    expect((await reg.req('PATCH', `/v1/users/${admin.id}`, { token: reg.rootToken, body: { accountAdmin: false } })).status).toBe(200);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByText('Your session has expired. Please log in again.').waitFor({ timeout: STEP });
    expect(await page.getByRole('button', { name: 'Log in' }).count()).toBe(1);
    expect(page.url()).not.toContain('token');
  }, 30_000);
});

describe('device page and layout', () => {
  it('shows telemetry arriving live over MQTT on WebSocket, the ownership history, and renames the device', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logIn(page, ROOT_EMAIL, ROOT_PASSWORD);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('link', { name: ROOT_UNITS[0]! }).click();
    await page.getByTestId('live-state').filter({ hasText: 'Live:' }).waitFor({ timeout: STEP });
    const history = page.getByRole('table', { name: 'Ownership history' });
    expect(await history.getByRole('row').count()).toBe(3);
    expect(await history.textContent()).toContain('Acme Logistics');

    const unit = ROOT_UNITS[0]!;
    const client = await reg.device(unit, devices.get(unit)!.secret);
    const ts = Date.now();
    const records = [
      { seq: 1, epoch: 2, ts, kind: 'gnss', data: { lat: 55.6761, lon: 12.5683, speedMps: 12.5 } },
      { seq: 2, epoch: 2, ts: ts + 1, kind: 'obd', data: { rpm: 2150, speedKmh: 46 } },
    ];
    await client.publishAsync(deviceTopic(unit, 'telemetry'), JSON.stringify({ stream: 'console-e2e-stream', records }), { qos: 1 });
    await page.getByTestId('rpm').filter({ hasText: '2150 rpm' }).waitFor({ timeout: STEP });
    expect(await page.getByTestId('position').textContent()).toBe('55.67610, 12.56830');
    expect(await page.getByTestId('speed').textContent()).toBe('46 km/h');
    expect(await page.getByRole('link', { name: 'Show on OpenStreetMap' }).getAttribute('href')).toContain('mlat=55.67610&mlon=12.56830');

    // Stored records too: a fresh device page reads them from GET /v1/devices/:id/telemetry.
    await client.endAsync();
    await page.getByRole('link', { name: 'Back to devices' }).click();
    await page.getByRole('link', { name: unit }).click();
    await page.getByTestId('rpm').filter({ hasText: '2150 rpm' }).waitFor({ timeout: STEP });
    expect(await page.getByRole('table', { name: 'Recent records' }).getByRole('row').count()).toBe(3);

    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Device name').fill('Van 7');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Van 7' }).waitFor({ timeout: STEP });
    expect((await reg.req('GET', `/v1/devices/${devices.get(unit)!.id}`, { token: reg.rootToken })).body.name).toBe('Van 7');
    await page.close();
  }, 60_000);

  it('fits a phone width without sideways scrolling, works by keyboard, and logs out for real', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    let token = '';
    page.on('request', (r) => {
      const auth = r.headers().authorization;
      if (auth) token = auth.slice('Bearer '.length);
    });
    await logIn(page, ROOT_EMAIL, ROOT_PASSWORD);
    await page.getByRole('list', { name: 'Customer tree' }).getByText('Acme Logistics', { exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await page.getByRole('button', { name: 'Expand Acme Logistics' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Customers of Acme Logistics' }).getByText('Acme North', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Collapse Acme Logistics' }).getAttribute('aria-expanded')).toBe('true');

    expect((await reg.req('GET', '/v1/me', { token })).status).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    expect((await reg.req('GET', '/v1/me', { token })).status).toBe(401);
    await page.close();
  }, 30_000);
});
