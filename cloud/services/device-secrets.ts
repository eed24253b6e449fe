/**
 * Device secrets at rest (docs/decisions.md, "Device secrets: scrypt with a low cost").
 *
 * A device secret is 256 random bits (`newSecret(32)`), not a password: nobody can guess it, so a
 * slow KDF buys nothing against a leaked hash; it only costs time at import (10 000 rows at
 * N=2^14 is ~50 ms x 10 000 / cores, minutes) and at every MQTT login (a reconnect storm after a
 * restart). We keep the scrypt format `scrypt$N$r$p$salt$hash` that `verifySecret` reads, so the
 * broker verifies device and user secrets with one function, with N=2^8 (256 KiB, ~0.7 ms).
 */
import { randomBytes, scrypt } from 'node:crypto';

/** scrypt cost for device secrets; `verifySecret` reads it from the stored string. */
export const DEVICE_SCRYPT = { N: 256, r: 8, p: 1, keylen: 32 } as const;

/** Hashes run in parallel on libuv's threadpool (4 threads by default); more would only queue. */
const CONCURRENCY = 4;

/** A hash `verifySecret` (services/secrets.ts) accepts for this secret. */
export function hashDeviceSecret(secret: string): Promise<string> {
  const { N, r, p, keylen } = DEVICE_SCRYPT;
  const salt = randomBytes(16);
  return new Promise((resolve, reject) =>
    scrypt(secret.normalize('NFC'), salt, keylen, { N, r, p }, (err, key) =>
      err ? reject(err) : resolve(['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$')),
    ),
  );
}

/**
 * Hashes many secrets, a few at a time, so an import of thousands keeps the threadpool free
 * for other work (file and DNS calls queue behind scrypt otherwise). Order is kept.
 */
export async function hashDeviceSecrets(secrets: readonly string[]): Promise<string[]> {
  const out = new Array<string>(secrets.length);
  let next = 0;
  const worker = async () => {
    while (next < secrets.length) {
      const i = next++;
      out[i] = await hashDeviceSecret(secrets[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, secrets.length) }, worker));
  return out;
}

/**
 * A device-cost hash that never matches: a login for an unknown unit id should spend the same
 * time as one with a wrong secret (services/secrets.ts DUMMY_HASH costs a password's N=2^14).
 */
export const DEVICE_DUMMY_HASH = ['scrypt', DEVICE_SCRYPT.N, DEVICE_SCRYPT.r, DEVICE_SCRYPT.p, Buffer.alloc(16).toString('base64url'), Buffer.alloc(DEVICE_SCRYPT.keylen).toString('base64url')].join('$');
