/**
 * fast-check arbitraries for fuzzing the REST API: values of every JSON type, names that are
 * hostile or too long, rights and settings mostly valid, and markers (`{$account: n}`, `{$user: n}`,
 * `{$email: n}`, `{$tokenId: n}`) that a fuzz test resolves against its model at request time.
 */
import fc from 'fast-check';
import { ROOT_EMAIL, USER_PASSWORD } from './registry.js';

export const anyValue = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
export const rarely = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
export const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: arb });
/** A marker resolved at request time against the current model. */
export const ref = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((n) => ({ $account: n })) },
  { weight: 2, arbitrary: fc.nat().map((n) => ({ $user: n })) },
  { weight: 1, arbitrary: fc.nat().map((n) => ({ $tokenId: n })) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
export const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('ok name', 'Ünïcode 名前', "x'; DROP TABLE users;--") }, fc.string({ maxLength: 220 }), anyValue);
export const deviceAccess = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('none', 'read', 'full') }, anyValue);
export const bool = fc.oneof({ weight: 4, arbitrary: fc.boolean() }, anyValue);
export const settings = sometimes(fc.oneof(
  { weight: 4, arbitrary: fc.record({ telemetryIntervalMs: fc.integer({ min: 200, max: 3_600_000 }), gnss: fc.boolean(), obdPids: fc.array(fc.constantFrom('0C', '0d', '11'), { maxLength: 3 }) }, { requiredKeys: [] }) },
  fc.record({ telemetryIntervalMs: fc.integer({ min: -1, max: 4_000_000 }), obdPids: fc.array(fc.constantFrom('ZZ', '1', '0C'), { maxLength: 3 }), x: anyValue }, { requiredKeys: [] }),
  anyValue,
));
export const password = rarely(fc.oneof(fc.constant(USER_PASSWORD), fc.string({ minLength: 8, maxLength: 12 }), anyValue));
export const email = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('fz1@test.local', 'fz2@test.local', 'FZ3@test.local', ROOT_EMAIL, 'not-an-email') }, fc.nat().map((n) => ({ $email: n })), anyValue);
export const extra = rarely(fc.dictionary(fc.constantFrom('id', 'accountId', 'depth', 'parentId', 'role', 'constructor', 'email', 'x'), anyValue, { maxKeys: 2 }));

export const withExtra = (base: fc.Arbitrary<Record<string, unknown>>) => fc.tuple(base, extra).map(([b, e]) => ({ ...e, ...b }));
/**
 * A structured body most of the time (every field, or some), then any JSON value, then raw text
 * that may not be JSON.
 */
export function body(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: withExtra(fc.record(fields) as fc.Arbitrary<Record<string, unknown>>) },
    { weight: 4, arbitrary: withExtra(fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ $raw: s })) },
  );
}
export const query = fc.record({ limit: sometimes(fc.oneof(fc.integer({ min: -5, max: 1500 }), fc.string({ maxLength: 5 }))), cursor: rarely(fc.oneof(fc.string({ maxLength: 20 }), fc.base64String({ maxLength: 40 }))) }, { requiredKeys: [] });
