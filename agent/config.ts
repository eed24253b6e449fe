/**
 * The agent's configuration, parsed once from the environment with zod and passed down as a frozen
 * object. A bad value stops the process (main.ts) with ONE line naming every bad variable and what
 * it takes.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UNIT_ID_RE } from '../protocol/topics.js';

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

const URL_TAKES = 'a URL starting with mqtt://, mqtts://, ws:// or wss://';

const mqttUrl = z
  .string({ error: `required: ${URL_TAKES}` })
  .refine((v) => {
    try {
      return MQTT_PROTOCOLS.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, URL_TAKES);

const baud = (fallback: number) =>
  z.coerce
    .number({ error: 'a baud rate, e.g. 9600 or 38400' })
    .int('a whole baud rate')
    .min(300, 'a baud rate of 300 or more')
    .max(4_000_000, 'a baud rate up to 4000000')
    .default(fallback);

const positive = (fallback: number, what: string) =>
  z.coerce.number({ error: what }).int(what).min(1, what).default(fallback);

const EnvSchema = z.object({
  AGENT_MQTT_URL: mqttUrl,
  AGENT_UNIT_ID: z.string().regex(UNIT_ID_RE, 'lower-case hex, 12 to 32 characters').optional(),
  AGENT_SECRET: z.string().min(1).max(512).optional(),
  AGENT_SECRET_FILE: z.string().min(1).optional(),
  AGENT_STATE_DIR: z.string().min(1).default('/var/lib/fleet-agent'),
  AGENT_OBD_PORT: z.string().min(1).optional(),
  AGENT_OBD_BAUD: baud(38400),
  AGENT_GNSS_PORT: z.string().min(1).optional(),
  AGENT_GNSS_BAUD: baud(9600),
  AGENT_SIMULATE: z.enum(['0', '1'], '0 or 1').default('0'),
  AGENT_CA_FILE: z.string().min(1).optional(),
  AGENT_QUEUE_MAX_BYTES: positive(128 * 1024 * 1024, 'a whole number of bytes, at least 1'),
  AGENT_QUEUE_MAX_RECORDS: positive(1_000_000, 'a whole number of records, at least 1'),
  AGENT_QUEUE_FULL_POLICY: z.enum(['drop-oldest', 'drop-newest'], 'drop-oldest or drop-newest').default('drop-oldest'),
  AGENT_BOARD_SERIAL_PATH: z.string().min(1).default('/sys/firmware/devicetree/base/serial-number'),
  AGENT_CPUINFO_PATH: z.string().min(1).default('/proc/cpuinfo'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'fatal, error, warn, info, debug, trace or silent')
    .default('info'),
});

/** What to do when the queue reaches its bound (contract: never silent, declared in `dropped`). */
export type QueueFullPolicy = 'drop-oldest' | 'drop-newest';

/** The agent's settings; see agent/README.md for each variable. */
export interface AgentConfig {
  /** AGENT_MQTT_URL: mqtt://, mqtts://, ws:// or wss://. Required. */
  readonly mqttUrl: string;
  /** AGENT_UNIT_ID; when absent the unit id is derived from the board serial. */
  readonly unitId: string | undefined;
  /** AGENT_SECRET, or the trimmed content of AGENT_SECRET_FILE. Never logged. */
  readonly secret: string;
  /** AGENT_STATE_DIR. Default /var/lib/fleet-agent (systemd StateDirectory). */
  readonly stateDir: string;
  /** AGENT_OBD_PORT / AGENT_OBD_BAUD (default 38400, the ELM327 default). */
  readonly obd: Readonly<{ port: string | undefined; baudRate: number }>;
  /** AGENT_GNSS_PORT / AGENT_GNSS_BAUD (default 9600, the NMEA 0183 receiver default). */
  readonly gnss: Readonly<{ port: string | undefined; baudRate: number }>;
  /** AGENT_SIMULATE=1 drives a simulated vehicle. Default 0. */
  readonly simulate: boolean;
  /** AGENT_CA_FILE: PEM of a private CA for mqtts:// and wss://. */
  readonly caFile: string | undefined;
  /** AGENT_QUEUE_MAX_BYTES (128 MiB), AGENT_QUEUE_MAX_RECORDS (1 000 000), AGENT_QUEUE_FULL_POLICY (drop-oldest). */
  readonly queue: Readonly<{ maxBytes: number; maxRecords: number; fullPolicy: QueueFullPolicy }>;
  /** AGENT_BOARD_SERIAL_PATH and AGENT_CPUINFO_PATH: where the board serial is read. */
  readonly board: Readonly<{ serialPath: string; cpuinfoPath: string }>;
  /** LOG_LEVEL. Default info. */
  readonly logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads a file's text; injectable so tests need no real secret files. */
export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

/**
 * Parses the environment. Throws a {@link ConfigError} whose message is one line listing every
 * bad variable; empty strings count as unset.
 */
export function loadConfig(env: NodeJS.ProcessEnv, read: ReadText = readText): AgentConfig {
  const picked = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.length > 0 && v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(picked);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0] ?? 'env')}: ${i.message}`);
  const secret = resolveSecret(picked, read, problems);
  if (picked.AGENT_CA_FILE !== undefined) checkReadable('AGENT_CA_FILE', picked.AGENT_CA_FILE, read, problems);
  if (!parsed.success || problems.length > 0 || secret === undefined) {
    throw new ConfigError(`bad configuration: ${problems.join('; ')}`);
  }
  return freeze(parsed.data, secret);
}

function resolveSecret(env: Record<string, string | undefined>, read: ReadText, problems: string[]): string | undefined {
  if (env.AGENT_SECRET !== undefined && env.AGENT_SECRET_FILE !== undefined) {
    problems.push('AGENT_SECRET_FILE: set either AGENT_SECRET or AGENT_SECRET_FILE, not both');
    return undefined;
  }
  if (env.AGENT_SECRET !== undefined) return env.AGENT_SECRET;
  if (env.AGENT_SECRET_FILE === undefined) {
    problems.push('AGENT_SECRET: required (the device secret), or AGENT_SECRET_FILE naming a file that holds it');
    return undefined;
  }
  const text = checkReadable('AGENT_SECRET_FILE', env.AGENT_SECRET_FILE, read, problems)?.trim();
  if (text === '') problems.push('AGENT_SECRET_FILE: the file is empty; it takes the device secret');
  return text || undefined;
}

function checkReadable(name: string, path: string, read: ReadText, problems: string[]): string | undefined {
  try {
    return read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`${name}: cannot read ${path} (${code}); it takes a readable file`);
    return undefined;
  }
}

function freeze(e: z.infer<typeof EnvSchema>, secret: string): AgentConfig {
  return Object.freeze({
    mqttUrl: e.AGENT_MQTT_URL,
    unitId: e.AGENT_UNIT_ID,
    secret,
    stateDir: e.AGENT_STATE_DIR,
    obd: Object.freeze({ port: e.AGENT_OBD_PORT, baudRate: e.AGENT_OBD_BAUD }),
    gnss: Object.freeze({ port: e.AGENT_GNSS_PORT, baudRate: e.AGENT_GNSS_BAUD }),
    simulate: e.AGENT_SIMULATE === '1',
    caFile: e.AGENT_CA_FILE,
    queue: Object.freeze({
      maxBytes: e.AGENT_QUEUE_MAX_BYTES,
      maxRecords: e.AGENT_QUEUE_MAX_RECORDS,
      fullPolicy: e.AGENT_QUEUE_FULL_POLICY,
    }),
    board: Object.freeze({ serialPath: e.AGENT_BOARD_SERIAL_PATH, cpuinfoPath: e.AGENT_CPUINFO_PATH }),
    logLevel: e.LOG_LEVEL,
  });
}
