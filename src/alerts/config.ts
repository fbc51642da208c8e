import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { DEFAULT_SEND_TIMEOUT_MS } from './sender.js';
import { SEVERITY_RANK, type Severity, type Channel } from './types.js';

/** The dispatcher's configuration: what the receiver passes in, and how it is checked and completed with defaults. */

export interface AlertDispatcherConfig {
  /** SLACK_WEBHOOK_URL (a secret: only its host is ever logged). */
  slackWebhookUrl: string | null;
  /** SLACK_MIN_SEVERITY, default HIGH. */
  slackMinSeverity?: Severity;
  /** WEBHOOK_URL */
  webhookUrl: string | null;
  /** WEBHOOK_SECRET: signs bodies (X-Dunetrace-Signature). */
  webhookSecret?: string | null;
  /** WEBHOOK_MIN_SEVERITY, default LOW. */
  webhookMinSeverity?: Severity;
  /** DUNETRACE_DASHBOARD_URL: "View run" → <dashboardUrl>/runs/<run_id>; no button when null. */
  dashboardUrl: string | null;
  /** DUNETRACE_ALERT_BURST: alerts per (agent, failure_type) and window sent individually, default 10. */
  burst?: number;

  // Tuning (defaults in DISPATCH_DEFAULTS).
  /** Flood-guard window. */
  floodWindowMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  backoff?: BackoffOptions;
  /** HTTP attempts per delivery before it is marked failed. */
  maxAttempts?: number;
  /** Cap on an honoured Retry-After. */
  maxRetryAfterMs?: number;
  /** Pending rows older than this are marked failed ('expired') instead of sent (no stale alert storms after an outage). */
  maxAgeMs?: number;
  /** Requests in flight at once (all channels). */
  maxConcurrent?: number;
  /** How long a row being sent is hidden from scans; must exceed timeoutMs. */
  leaseMs?: number;
  /** Rows per outbox scan. */
  scanLimit?: number;
}

const DISPATCH_DEFAULTS = {
  slackMinSeverity: 'HIGH' as Severity,
  webhookMinSeverity: 'LOW' as Severity,
  burst: 10,
  floodWindowMs: 60_000,
  timeoutMs: DEFAULT_SEND_TIMEOUT_MS,
  maxAttempts: 12, // 1+2+4+…+256 s, then 5 min twice: gives up after ~18 min
  maxRetryAfterMs: 15 * 60_000,
  maxAgeMs: 24 * 3_600_000,
  maxConcurrent: 8,
  leaseMs: 60_000,
  scanLimit: 500,
} as const;

/** A configured channel. `url` is a secret; `host` is what logs and describe() show. */
export interface ChannelTarget {
  name: Channel;
  url: string;
  host: string;
  min: Severity;
}

/** Every setting resolved: defaults applied, the dashboard URL without trailing slashes, an empty secret as null. */
export type DispatchSettings = Required<Omit<AlertDispatcherConfig, 'slackWebhookUrl' | 'webhookUrl' | 'webhookSecret' | 'dashboardUrl' | 'backoff'>> & {
  backoff: BackoffOptions;
  webhookSecret: string | null;
  dashboardUrl: string | null;
};

/**
 * Applies the defaults and checks everything at once; throws one RangeError listing every problem. A bad URL is
 * reported by channel name only: webhook URLs are secrets.
 */
export function resolveConfig(config: AlertDispatcherConfig): { settings: DispatchSettings; channels: ChannelTarget[] } {
  const d = DISPATCH_DEFAULTS;
  const s: DispatchSettings = {
    slackMinSeverity: config.slackMinSeverity ?? d.slackMinSeverity,
    webhookMinSeverity: config.webhookMinSeverity ?? d.webhookMinSeverity,
    webhookSecret: config.webhookSecret || null,
    dashboardUrl: config.dashboardUrl ? config.dashboardUrl.replace(/\/+$/, '') : null,
    burst: config.burst ?? d.burst,
    floodWindowMs: config.floodWindowMs ?? d.floodWindowMs,
    timeoutMs: config.timeoutMs ?? d.timeoutMs,
    backoff: { ...DEFAULT_BACKOFF, ...config.backoff },
    maxAttempts: config.maxAttempts ?? d.maxAttempts,
    maxRetryAfterMs: config.maxRetryAfterMs ?? d.maxRetryAfterMs,
    maxAgeMs: config.maxAgeMs ?? d.maxAgeMs,
    maxConcurrent: config.maxConcurrent ?? d.maxConcurrent,
    leaseMs: config.leaseMs ?? Math.max(d.leaseMs, (config.timeoutMs ?? d.timeoutMs) * 2),
    scanLimit: config.scanLimit ?? d.scanLimit,
  };
  const problems: string[] = [];
  const channels: ChannelTarget[] = [];
  const target = (name: Channel, url: string | null, min: Severity) => {
    if (!url) return;
    const host = httpHost(url);
    if (host === null) problems.push(`${name} URL is not an http(s) URL`);
    else channels.push({ name, url, host, min });
  };
  target('slack', config.slackWebhookUrl, s.slackMinSeverity);
  target('webhook', config.webhookUrl, s.webhookMinSeverity);
  for (const sev of [s.slackMinSeverity, s.webhookMinSeverity]) {
    if (!(sev in SEVERITY_RANK)) problems.push(`unknown severity ${String(sev)}`);
  }
  if (!isPositiveInteger(s.burst)) problems.push('burst must be a positive integer');
  if (!(s.floodWindowMs > 0)) problems.push('floodWindowMs must be positive');
  if (!(s.timeoutMs > 0)) problems.push('timeoutMs must be positive');
  if (!isPositiveInteger(s.maxAttempts)) problems.push('maxAttempts must be a positive integer');
  if (!isPositiveInteger(s.maxConcurrent)) problems.push('maxConcurrent must be a positive integer');
  if (!(s.leaseMs > s.timeoutMs)) problems.push('leaseMs must exceed timeoutMs');
  if (!isPositiveInteger(s.scanLimit)) problems.push('scanLimit must be a positive integer');
  if (problems.length > 0) throw new RangeError(`invalid alert configuration: ${problems.join('; ')}`);
  return { settings: s, channels };
}

/** The host of an http(s) URL, or null for anything else (including unparsable input). */
function httpHost(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host : null;
  } catch {
    return null;
  }
}

function isPositiveInteger(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}
