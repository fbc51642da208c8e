import { z } from 'zod';
import { SEVERITIES, type Severity } from '../model/index.js';

/** Every receiver setting, with its environment variable. Defaults live here and nowhere else. */
export interface ReceiverConfig {
  host: string;
  port: number;
  /** OTLP/gRPC port (DUNETRACE_GRPC_PORT, default 4317), or null when turned off (`off`). */
  grpcPort: number | null;
  /** Postgres server URL; when unset, embedded PGlite in `dataDir`. */
  databaseUrl: string | null;
  /** Postgres schema for our tables (created by the migrations); default: the connection's search_path. */
  databaseSchema: string | null;
  dataDir: string;
  authMode: 'dev' | 'keys';
  /** Why authMode has its value (logged at start so nobody is surprised). */
  authModeReason: string;
  maxBodyBytes: number;
  runGraceMs: number;
  runIdleTimeoutMs: number;
  detectorsPath: string;
  /** How long a key lookup is cached; revocation takes effect within this time (must stay under 5 s). */
  keyCacheMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  slackWebhookUrl: string | null;
  slackMinSeverity: Severity;
  webhookUrl: string | null;
  webhookSecret: string | null;
  webhookMinSeverity: Severity;
  dashboardUrl: string;
  alertBurst: number;
  /** DUNETRACE_RETENTION: how long runs, spans, events and signals are kept (seconds); per customer: customers table. */
  retentionSeconds: number;
  /** DUNETRACE_PARTITION_MINUTES: width of new time partitions (null: what the database has; 1 day when new). */
  partitionMinutes: number | null;
}

/** "30d", "12h", "90m", "3600s", or a bare number of days → seconds. */
export function parseRetention(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400, '': 86_400 }[m[2] as 's' | 'm' | 'h' | 'd' | ''];
  return seconds >= 60 && Number.isSafeInteger(Math.round(seconds)) ? Math.round(seconds) : null;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const severity = z.enum(SEVERITIES);
const url = z.string().url();

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(8001),
  DUNETRACE_GRPC_PORT: z.union([z.literal('off'), int(0, 65535)]).default(4317),
  DATABASE_URL: url.optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case Postgres identifier')
    .optional(),
  DUNETRACE_DATA_DIR: z.string().min(1).default('./.dunetrace'),
  AUTH_MODE: z.enum(['dev', 'keys']).optional(),
  DUNETRACE_MAX_BODY_BYTES: int(1024).default(16 * 1024 * 1024),
  DUNETRACE_RUN_GRACE_MS: int(0).default(500),
  DUNETRACE_RUN_IDLE_TIMEOUT_MS: int(1).default(60_000),
  DUNETRACE_DETECTORS: z.string().min(1).default('./detectors.yml'),
  DUNETRACE_KEY_CACHE_MS: int(0, 4_000).default(2_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_WEBHOOK_URL: url.optional(),
  SLACK_MIN_SEVERITY: severity.default('HIGH'),
  WEBHOOK_URL: url.optional(),
  WEBHOOK_SECRET: z.string().min(1).optional(),
  WEBHOOK_MIN_SEVERITY: severity.default('LOW'),
  DUNETRACE_DASHBOARD_URL: url.optional(),
  DUNETRACE_ALERT_BURST: int(1).default(10),
  DUNETRACE_RETENTION: z
    .string()
    .default('30d')
    .refine((v) => parseRetention(v) !== null, 'a duration of at least a minute: 30d, 12h, 90m, 3600s (a bare number is days)'),
  DUNETRACE_PARTITION_MINUTES: int(1, 525_600).optional(),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Reads the receiver's configuration from the environment, reporting every problem at once.
 * AUTH_MODE defaults to `dev` only while the receiver listens on loopback, so a dev setup can never be exposed by accident.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ReceiverConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(cleaned[String(i.path[0])] ?? '')}: ${i.message}`);
    throw new ConfigError(`invalid receiver configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const loopback = LOOPBACK.has(e.HOST);
  const authMode = e.AUTH_MODE ?? (loopback ? 'dev' : 'keys');
  const authModeReason = e.AUTH_MODE
    ? `AUTH_MODE=${e.AUTH_MODE}`
    : loopback
      ? `default for a loopback HOST (${e.HOST}); set AUTH_MODE=keys to require API keys`
      : `default for a non-loopback HOST (${e.HOST})`;
  return {
    host: e.HOST,
    port: e.PORT,
    grpcPort: e.DUNETRACE_GRPC_PORT === 'off' ? null : e.DUNETRACE_GRPC_PORT,
    databaseUrl: e.DATABASE_URL ?? null,
    databaseSchema: e.DATABASE_SCHEMA ?? null,
    dataDir: e.DUNETRACE_DATA_DIR,
    authMode,
    authModeReason,
    maxBodyBytes: e.DUNETRACE_MAX_BODY_BYTES,
    runGraceMs: e.DUNETRACE_RUN_GRACE_MS,
    runIdleTimeoutMs: e.DUNETRACE_RUN_IDLE_TIMEOUT_MS,
    detectorsPath: e.DUNETRACE_DETECTORS,
    keyCacheMs: e.DUNETRACE_KEY_CACHE_MS,
    logLevel: e.LOG_LEVEL,
    slackWebhookUrl: e.SLACK_WEBHOOK_URL ?? null,
    slackMinSeverity: e.SLACK_MIN_SEVERITY,
    webhookUrl: e.WEBHOOK_URL ?? null,
    webhookSecret: e.WEBHOOK_SECRET ?? null,
    webhookMinSeverity: e.WEBHOOK_MIN_SEVERITY,
    dashboardUrl: (e.DUNETRACE_DASHBOARD_URL ?? `http://${loopback ? '127.0.0.1' : e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    alertBurst: e.DUNETRACE_ALERT_BURST,
    retentionSeconds: parseRetention(e.DUNETRACE_RETENTION) ?? 30 * 86_400,
    partitionMinutes: e.DUNETRACE_PARTITION_MINUTES ?? null,
  };
}
