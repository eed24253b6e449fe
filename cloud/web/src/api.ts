/**
 * The console's only way to the registry: the public REST API with the session token as a bearer.
 * The token lives in this module's memory only (never in a URL, storage or cookie), so a reload
 * asks for the password again, and a 401 on any call ends the session with a message.
 */
import type { Account, AuditEntry, Device, User } from '../../../protocol/api.js';

export type { Account, AuditEntry, Device, User };
export type DeviceAccess = User['deviceAccess'];

/** `GET /v1/me`. */
export interface Me {
  user: User;
  account: Account;
  topicRoot: string;
}

/** A list page (contract: `{items, nextCursor}`). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The contract's error shape, as an exception. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let token: string | null = null;
let onExpired: (() => void) | null = null;

/** Starts (or with null, forgets) the session; `expired` runs once when the API answers 401. */
export function setSession(t: string | null, expired: (() => void) | null = null): void {
  token = t;
  onExpired = expired;
}

export function sessionToken(): string | null {
  return token;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, q: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

/** Calls the API; resolves with the JSON body (undefined for 204) or throws an {@link ApiError}. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'The registry cannot be reached. Check the connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const json: unknown = await res.json().catch(() => undefined);
  if (res.ok) return json as T;
  const err = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  const e = new ApiError(res.status, err?.code ?? 'error', err?.message ?? `${res.status} ${res.statusText}`, err?.details);
  if (res.status === 401 && token && path !== '/v1/auth/login') {
    const cb = onExpired;
    setSession(null);
    cb?.();
  }
  throw e;
}

/** Every page of a list (the accounts tree needs the whole subtree; 1 000 per page). */
export async function all<T>(path: string, q: Query = {}): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api<Page<T>>('GET', withQuery(path, { ...q, limit: 1000, cursor }));
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** A readable sentence for an error, for `role="alert"` boxes. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** One row of a `POST /v1/devices/assign` answer (mirrors protocol/api.ts AssignItemSchema). */
export interface AssignItem {
  deviceId: string;
  unitId: string;
  status: 'moved' | 'unchanged';
  from: string;
  to: string;
  epoch: number;
}

/** `GET /v1/devices/:id/ownership`. */
export interface OwnershipAnswer {
  deviceId: string;
  accountId: string;
  epoch: number;
  appliedEpoch: number | null;
  applied: boolean;
  history: Array<{ accountId: string | null; epoch: number; from: number; to: number | null }>;
}

/** One stored telemetry record (`GET /v1/devices/:id/telemetry`, and live over MQTT). */
export interface TelemetryRecord {
  stream?: string;
  seq: number;
  epoch: number;
  ts: number;
  kind: string;
  data: Record<string, unknown>;
}
