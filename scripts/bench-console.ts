/**
 * Benchmark of the console at fleet scale (issue 7): 1 000 customers (a tree three levels deep)
 * and 100 000 devices inserted directly into SQLite, then the requests the console makes, over
 * real HTTP, as the root admin and as the admin of one top-level customer (about 10 000 devices):
 * the customer tree at login, a device list page (first, later, per customer), and the device
 * dropdown's server-side search (a fragment with many matches, one exact unit id, a miss: the
 * last two read every visible row). Then the same in Debian's Chromium: time until the rows or
 * options are on screen.
 *
 *   npm run build && node dist/scripts/bench-console.js [devices=100000] [customers=1000]
 *
 * Run on demand, not in CI. Results go to docs/benchmarks.md by hand.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { Db } from '../cloud/store/db.js';
import { childPath } from '../cloud/store/paths.js';
import { launchChromium, startConsoleRegistry } from '../test/helpers/console-harness.js';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../test/helpers/registry.js';

const DEVICES = Number(process.argv[2] ?? 100_000);
const CUSTOMERS = Number(process.argv[3] ?? 1_000);
/** Page sizes the console asks for (pages/devices.tsx DEVICE_PAGE, pages/device-picker.tsx). */
const LIST_PAGE = 50;
const DROPDOWN = 20;
const RUNS = 30;

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const stats = (xs: number[]) => ({ p50: +pct(xs, 50).toFixed(1), p95: +pct(xs, 95).toFixed(1), max: +Math.max(...xs).toFixed(1) });

interface Acct {
  id: string;
  path: string;
}

/** 10 top-level customers, 9 below each, the rest spread one level further down. */
function seedAccounts(db: Db, root: Acct, n: number): Acct[] {
  const ins = db.prepare('INSERT INTO accounts (id, name, parent_id, path, depth, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, 1)');
  const out: Acct[] = [];
  const add = (parent: Acct, depth: number, name: string) => {
    const id = randomUUID();
    const a = { id, path: childPath(parent.path, id) };
    ins.run(id, name, parent.id, a.path, depth, '{}');
    out.push(a);
    return a;
  };
  db.transaction(() => {
    const top = Array.from({ length: 10 }, (_, i) => add(root, 1, `Customer ${i + 1}`));
    const mid = top.flatMap((t, i) => Array.from({ length: 9 }, (_, j) => add(t, 2, `Customer ${i + 1}.${j + 1}`)));
    for (let k = 0; out.length < n - 1; k++) add(mid[k % mid.length]!, 3, `Depot ${k + 1}`);
  })();
  return out;
}

function seedDevices(db: Db, owners: Acct[], n: number): string[] {
  const dev = db.prepare(
    `INSERT INTO devices (id, unit_id, name, account_id, account_path, epoch, issued_at, applied_epoch, secret_hash, last_seen, created_at)
     VALUES (?, ?, ?, ?, ?, 1, 1, ?, 'scrypt$256$8$1$AAAA$AAAA', ?, 1)`,
  );
  const own = db.prepare('INSERT INTO ownership (device_id, epoch, account_id, account_path, from_ts, to_ts) VALUES (?, 1, ?, ?, 1, NULL)');
  const units: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const a = owners[i % owners.length]!;
      const id = randomUUID();
      const unit = randomBytes(8).toString('hex');
      dev.run(id, unit, `Vehicle ${i}`, a.id, a.path, i % 3 === 0 ? null : 1, Date.now() - i * 1000);
      own.run(id, a.id, a.path);
      units.push(unit);
    }
  })();
  return units;
}

type Call = (path: string) => Promise<unknown>;

async function apiTimings(call: Call, units: string[], ownerId: string) {
  const timed = async (paths: () => string) => {
    const xs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      await call(paths());
      xs.push(ms(t0));
    }
    return stats(xs);
  };
  const first = (await call(`/v1/devices?limit=${LIST_PAGE}`)) as { nextCursor: string };
  const unit = () => units[Math.floor(Math.random() * units.length)]!;
  return {
    accountsTree: await timed(() => '/v1/accounts?limit=1000'),
    listFirstPage: await timed(() => `/v1/devices?limit=${LIST_PAGE}`),
    listNextPage: await timed(() => `/v1/devices?limit=${LIST_PAGE}&cursor=${first.nextCursor}`),
    listOneCustomer: await timed(() => `/v1/devices?limit=${LIST_PAGE}&accountId=${ownerId}`),
    listSearchUnitId: await timed(() => `/v1/devices?limit=${LIST_PAGE}&q=${unit()}`),
    dropdownFragment: await timed(() => `/v1/devices?limit=${DROPDOWN}&q=${randomBytes(1).toString('hex')}`),
    dropdownExactUnitId: await timed(() => `/v1/devices?limit=${DROPDOWN}&q=${unit()}`),
    dropdownMiss: await timed(() => `/v1/devices?limit=${DROPDOWN}&q=zz${randomBytes(3).toString('hex')}`),
  };
}

/**
 * Runs in the page (a string, since this file is compiled without the DOM library): clicks
 * `target` or types `value` into it, then waits with a MutationObserver until `done` holds and a
 * frame is painted. Timing inside the page leaves out the driver's own polling.
 */
const MEASURE = `async (a) => {
  const el = document.querySelector(a.target);
  const box = () => document.querySelector(a.watch);
  const done = () => {
    const w = box();
    if (!w || w.hidden) return false;
    const text = w.textContent || '';
    const rows = w.querySelectorAll(a.rows || 'tbody tr').length;
    return text.includes(a.text || '') && (!a.notText || !text.includes(a.notText)) && rows >= (a.minRows || 0) && rows <= (a.maxRows || 1e9);
  };
  const t0 = performance.now();
  if (a.value === undefined) el.click();
  else {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, a.value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
  await new Promise((resolve) => {
    if (done()) return resolve();
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
    obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - t0;
}`;

interface Measure {
  target: string;
  watch: string;
  value?: string;
  text?: string;
  notText?: string;
  rows?: string;
  minRows?: number;
  maxRows?: number;
}

const inPage = async (page: Page, m: Measure): Promise<number> => +(await page.evaluate(`(${MEASURE})(${JSON.stringify(m)})`) as number).toFixed(1);

/** In the browser: from the click or keystroke to the rows or options painted. */
async function browserTimings(page: Page, units: string[]) {
  const out: Record<string, number[]> = { listOpen: [], listNextPage: [], listSearchInclDebounce250: [], dropdownInclDebounce150: [] };
  const table = 'table[aria-label="Devices"]';
  for (let i = 0; i < 10; i++) {
    await page.getByRole('link', { name: 'Customers' }).click();
    await page.getByRole('heading', { name: 'Customers' }).waitFor();
    out.listOpen!.push(await inPage(page, { target: 'nav[aria-label="Main"] a[href="/devices"]', watch: table, minRows: LIST_PAGE }));
    const first = (await page.locator(`${table} tbody tr`).first().textContent()) ?? '';
    out.listNextPage!.push(await inPage(page, { target: 'nav[aria-label="Device pages"] button:last-child', watch: table, notText: first, minRows: LIST_PAGE }));
    const unit = units[(i * 7919) % units.length]!;
    out.listSearchInclDebounce250!.push(await inPage(page, { target: 'input[type="search"]', watch: table, value: unit, text: unit, maxRows: 1 }));
    await page.getByRole('link', { name: 'Manage devices' }).click();
    await page.getByLabel('Search and select').check();
    await page.getByRole('combobox', { name: 'Find devices' }).focus();
    const unit2 = units[(i * 104_729) % units.length]!;
    out.dropdownInclDebounce150!.push(await inPage(page, { target: 'input[role="combobox"]', watch: '#device-options', value: unit2, text: unit2, rows: 'li', minRows: 1 }));
  }
  return Object.fromEntries(Object.entries(out).map(([k, xs]) => [k, stats(xs)]));
}

async function main(): Promise<void> {
  const reg = await startConsoleRegistry();
  const { ctx } = reg.services;
  const root = ctx.accounts.root()!;
  let t0 = process.hrtime.bigint();
  const accounts = seedAccounts(reg.db, { id: root.id, path: root.path }, CUSTOMERS);
  const units = seedDevices(reg.db, [{ id: root.id, path: root.path }, ...accounts], DEVICES);
  reg.db.pragma('optimize');
  console.log(`seeded ${accounts.length + 1} accounts and ${DEVICES} devices in ${ms(t0).toFixed(0)} ms`);

  const top = accounts[0]!;
  const admin = await reg.createUser(reg.rootToken, top.id, { deviceAccess: 'full', accountAdmin: true });
  const visible = ctx.db.prepare('SELECT count(*) AS n FROM devices WHERE account_path LIKE ? AND deleted_at IS NULL').get(`${top.path}%`) as { n: number };
  const deep = accounts[accounts.length - 1]!;
  const call = (token: string): Call => async (path) => {
    const res = await fetch(reg.baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return res.json();
  };
  await call(reg.rootToken)('/v1/devices?limit=10');

  t0 = process.hrtime.bigint();
  const asRoot = await apiTimings(call(reg.rootToken), units, deep.id);
  const nestedUnits = (ctx.db.prepare('SELECT unit_id FROM devices WHERE account_path LIKE ? LIMIT 1000').all(`${top.path}%`) as { unit_id: string }[]).map((r) => r.unit_id);
  const nestedDeep = [...accounts].reverse().find((a) => a.path.startsWith(top.path))!;
  const asNested = await apiTimings(call(admin.token), nestedUnits, nestedDeep.id);
  const apiMs = ms(t0);

  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(reg.baseUrl);
  await page.getByLabel('Email').fill(ROOT_EMAIL);
  await page.getByLabel('Password').fill(ROOT_PASSWORD);
  t0 = process.hrtime.bigint();
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Customers' }).waitFor();
  const loginToTree = +ms(t0).toFixed(1);
  const ui = await browserTimings(page, units);
  await browser.close();

  console.log(JSON.stringify({ devices: DEVICES, customers: accounts.length + 1, nestedAdminSees: visible.n, runsPerFigure: RUNS, apiSeconds: +(apiMs / 1000).toFixed(1), asRoot, asNestedAdmin: asNested, browser: { loginToCustomerTree: loginToTree, ...ui } }, null, 1));
  await reg.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
