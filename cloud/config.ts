/**
 * The registry's configuration, parsed once from the environment with zod and passed down as a
 * frozen object. A bad value stops the process with one line naming every bad variable.
 */
import { z } from 'zod';
import { MAX_NESTING } from '../protocol/topics.js';

const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback).describe('a TCP port, 0 to 65535');

const EnvSchema = z
  .object({
    /** HTTP (REST, console, MQTT over WebSocket at /mqtt). Default 8080. */
    HTTP_PORT: port(8080),
    /** MQTT over TCP. Default 1883. */
    MQTT_PORT: port(1883),
    /** MQTT over TLS when TLS_CERT/TLS_KEY are set. Default 8883. */
    MQTTS_PORT: port(8883),
    /** Address to bind. Default 0.0.0.0 (all interfaces). */
    HOST: z.string().min(1).default('0.0.0.0'),
    /** Where the SQLite database lives. Default ./data. */
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: z.string().min(8, 'at least 8 characters').max(200).optional(),
    /** Deepest nested customer (root is depth 0). Default 16; at most MAX_NESTING (64). */
    MAX_DEPTH: z.coerce.number().int().min(1).max(MAX_NESTING).default(16),
    /** When set, GET /metrics needs `Authorization: Bearer $METRICS_TOKEN`. */
    METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
    TLS_CERT: z.string().min(1).optional(),
    TLS_KEY: z.string().min(1).optional(),
    /** Telemetry older than this is pruned. Default 90. */
    TELEMETRY_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(90),
    /** Lifetime of a login session. Default 12 h. */
    SESSION_TTL_MINUTES: z.coerce.number().int().min(1).max(43200).default(720),
  })
  .refine((e) => Boolean(e.TLS_CERT) === Boolean(e.TLS_KEY), {
    message: 'TLS_CERT and TLS_KEY must be set together',
    path: ['TLS_CERT'],
  })
  .refine((e) => !e.ADMIN_PASSWORD || e.ADMIN_EMAIL, {
    message: 'ADMIN_PASSWORD needs ADMIN_EMAIL',
    path: ['ADMIN_EMAIL'],
  });

export type Config = Readonly<z.infer<typeof EnvSchema>>;

export class ConfigError extends Error {}

/** Parses the environment; throws a ConfigError whose message is one line listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const picked = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const parts = parsed.error.issues.map((i) => `${String(i.path[0] ?? 'env')}: ${i.message}`);
    throw new ConfigError(`bad configuration: ${parts.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}
