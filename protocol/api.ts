/**
 * REST bodies, params and answers (CONTRACT.md, REST). The same schemas validate requests and
 * generate the OpenAPI document at GET /docs. Bodies are strict: unknown keys are a 400 naming the
 * key, and types are never coerced (query strings are, since they are text by nature).
 */
import { z } from 'zod';
import { SettingsSchema, QueueHealthSchema } from './messages.js';
import { UNIT_ID_RE } from './topics.js';

export const Id = z.uuid();
export const IdParams = z.object({ id: z.string() });

/** A display name: 1 to 200 characters, no control characters, any script. */
export const NameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters')
  .refine((s) => s.trim().length > 0, 'must not be blank');
export const EmailSchema = z.email().max(254);
export const PasswordSchema = z.string().min(8, 'at least 8 characters').max(200);
export const DeviceAccessSchema = z.enum(['none', 'read', 'full']);
export const UnitIdSchema = z.string().regex(UNIT_ID_RE, 'lower-case hex, 12 to 32 characters');

export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
export const LimitQuery = (max: number) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(max).default(100),
    // A cursor carries the last row's sort key; for accounts that is a materialized path, about
    // 37 characters per level (base64url: 50), so 4096 covers MAX_DEPTH 64 with room to spare.
    cursor: z.string().max(4096).optional(),
  });

// --- accounts
export const AccountSchema = z.object({
  id: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
  depth: z.number().int(),
  settings: SettingsSchema,
  childCount: z.number().int(),
  deviceCount: z.number().int(),
  userCount: z.number().int(),
});
export type Account = z.infer<typeof AccountSchema>;
export const CreateAccountBody = z.strictObject({ name: NameSchema, parentId: z.string(), settings: SettingsSchema.optional() });
export const PatchAccountBody = z
  .strictObject({ name: NameSchema.optional(), settings: SettingsSchema.optional() })
  .refine((b) => b.name !== undefined || b.settings !== undefined, 'name or settings is required');

// --- users
export const UserSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  email: z.string(),
  name: z.string(),
  deviceAccess: DeviceAccessSchema,
  accountAdmin: z.boolean(),
});
export type User = z.infer<typeof UserSchema>;
export const CreateUserBody = z.strictObject({
  email: EmailSchema,
  name: NameSchema,
  password: PasswordSchema,
  deviceAccess: DeviceAccessSchema,
  accountAdmin: z.boolean(),
});
export const PatchUserBody = z
  .strictObject({
    name: NameSchema.optional(),
    deviceAccess: DeviceAccessSchema.optional(),
    accountAdmin: z.boolean().optional(),
    password: PasswordSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'at least one field is required');

// --- auth, me, tokens
export const LoginBody = z.strictObject({ email: z.string().max(254), password: z.string().max(200) });
export const LoginAnswer = z.object({ token: z.string(), expiresAt: z.number().int(), user: UserSchema });
export const MeAnswer = z.object({
  user: UserSchema,
  account: AccountSchema,
  topicRoot: z.string(),
});
export const PatchMeBody = z
  .strictObject({ name: NameSchema.optional(), password: PasswordSchema.optional(), currentPassword: z.string().max(200).optional() })
  .refine((b) => b.password === undefined || b.currentPassword !== undefined, {
    message: 'currentPassword is required to change the password',
    path: ['currentPassword'],
  });
export const TokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
});
export const CreateTokenBody = z.strictObject({ name: NameSchema, expiresAt: z.number().int().positive().optional() });
export const CreatedTokenSchema = TokenSchema.extend({ token: z.string() });

// --- devices
export const DeviceSchema = z.object({
  id: z.string(),
  unitId: z.string(),
  name: z.string(),
  accountId: z.string(),
  epoch: z.number().int(),
  appliedEpoch: z.number().int().nullable(),
  lastSeen: z.number().int().nullable(),
  agentVersion: z.string().nullable(),
  vin: z.string().nullable(),
  queue: QueueHealthSchema.nullable().optional(),
});
export type Device = z.infer<typeof DeviceSchema>;

// --- audit
export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  ts: z.number().int(),
  actor: z.union([
    z.object({ kind: z.literal('user'), id: z.string(), email: z.string().nullable() }),
    z.object({ kind: z.literal('ancestor') }),
    z.object({ kind: z.literal('system') }),
  ]),
  action: z.string(),
  resource: z.object({ type: z.string(), id: z.string().nullable() }),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

// --- devices: registration, import, listing, changes, the bulk "Process" and ownership history
/** At most this many entries (device ids plus unit ids) in one `POST /v1/devices/assign`. */
export const ASSIGN_MAX_ENTRIES = 10_000;
/** At most this many rows in one `POST /v1/devices/import`. */
export const IMPORT_MAX_ROWS = 10_000;

export const RegisterDeviceBody = z.strictObject({ unitId: UnitIdSchema, name: NameSchema.optional(), accountId: z.string().optional() });
/** A new device and its secret, shown once. */
export const RegisteredDeviceSchema = DeviceSchema.extend({ secret: z.string() });
export const DeviceListQuery = LimitQuery(500).extend({
  accountId: z.string().max(64).optional(),
  q: z.string().min(1).max(200).optional(),
});
export const PatchDeviceBody = z.strictObject({ name: NameSchema });
export const DeviceSecretSchema = z.object({ id: z.string(), unitId: z.string(), secret: z.string() });

/** One import row, as JSON or one CSV line (`unitId,name,accountId`, header required). */
export const ImportRowSchema = z.strictObject({ unitId: z.string(), name: NameSchema.optional(), accountId: z.string().optional() });
export const ImportJsonBody = z.strictObject({ devices: z.array(z.unknown()).min(1).max(IMPORT_MAX_ROWS) });
/** JSON `{devices:[...]}`, or a `text/csv` body (a string). */
export const ImportBody = z.union([ImportJsonBody, z.string().describe('text/csv: header unitId,name,accountId')]);
export const ImportAnswer = z.object({ items: z.array(DeviceSecretSchema) });

/** A list pasted as one string (split on whitespace, commas, newlines) or an array of strings. */
export const EntryList = z.union([z.array(z.string().max(200)).max(ASSIGN_MAX_ENTRIES), z.string().max(2_000_000)]);
export const AssignBody = z.strictObject({
  accountId: z.string(),
  deviceIds: EntryList.optional(),
  unitIds: EntryList.optional(),
  dryRun: z.boolean().optional(),
});
export const AssignItemSchema = z.object({
  deviceId: z.string(),
  unitId: z.string(),
  status: z.enum(['moved', 'unchanged']),
  from: z.string(),
  to: z.string(),
  epoch: z.number().int(),
});
export type AssignItem = z.infer<typeof AssignItemSchema>;
export const AssignAnswer = z.object({ items: z.array(AssignItemSchema) });

export const OwnershipIntervalSchema = z.object({
  /** null for an account the caller does not see. */
  accountId: z.string().nullable(),
  epoch: z.number().int(),
  from: z.number().int(),
  to: z.number().int().nullable(),
});
export const OwnershipAnswer = z.object({
  deviceId: z.string(),
  accountId: z.string(),
  epoch: z.number().int(),
  appliedEpoch: z.number().int().nullable(),
  applied: z.boolean(),
  history: z.array(OwnershipIntervalSchema),
});
