import { SIGNATURE_HEADER, sign } from './signature.js';
import type { AlertDigest, StoredSignal, Explanation } from './types.js';

/**
 * Generic webhook requests, pure. The body is compact JSON with upstream's field order (§6.4); `evidence` is the
 * signal's evidence passed through unchanged (detectors store hashes and counts, never raw content). The signature
 * covers exactly the returned body string, so send it byte for byte.
 */

const WEBHOOK_SCHEMA_VERSION = '1.0';
/** Run ids listed in a digest body. */
const WEBHOOK_DIGEST_MAX_RUNS = 100;

export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

export interface WebhookOptions {
  /** WEBHOOK_SECRET; when set, X-Dunetrace-Signature is added. */
  secret: string | null;
  sentAt: Date;
  /**
   * Stable across retries and restarts of the same delivery (X-Dunetrace-Delivery), so receivers can drop the
   * duplicates at-least-once delivery allows.
   */
  deliveryId?: string;
}

interface WebhookBody {
  schema_version: string;
  event: 'failure_signal';
  sent_at: string;
  failure_type: string;
  severity: string;
  confidence: number;
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  step_index: number;
  detected_at: string;
  title: string;
  what: string;
  why_it_matters: string;
  evidence_summary: string;
  evidence: Record<string, unknown>;
  suggested_fixes: { description: string; language: string | null; code: string | null }[];
}

interface WebhookDigestBody {
  schema_version: string;
  event: 'failure_signal_digest';
  sent_at: string;
  failure_type: string;
  severity: string;
  agent_id: string;
  title: string;
  count: number;
  severity_counts: Record<string, number>;
  first_detected_at: string;
  last_detected_at: string;
  burst: number;
  window_seconds: number;
  run_ids: string[];
  run_ids_truncated: boolean;
}

function buildWebhookBody(signal: StoredSignal, explanation: Explanation, sentAt: Date): string {
  const body: WebhookBody = {
    schema_version: WEBHOOK_SCHEMA_VERSION,
    event: 'failure_signal',
    sent_at: sentAt.toISOString(),
    failure_type: signal.failure_type,
    severity: signal.severity,
    confidence: signal.confidence,
    run_id: signal.run_id,
    agent_id: signal.agent_id,
    agent_version: signal.agent_version,
    step_index: signal.step_index,
    detected_at: signal.detected_at.toISOString(),
    title: explanation.title,
    what: explanation.what,
    why_it_matters: explanation.why_it_matters,
    evidence_summary: explanation.evidence_summary,
    evidence: signal.evidence,
    suggested_fixes: explanation.suggested_fixes.map((f) => ({
      description: f.description,
      language: f.language ?? null,
      code: f.code ?? null,
    })),
  };
  return JSON.stringify(body);
}

export function buildWebhookRequest(signal: StoredSignal, explanation: Explanation, options: WebhookOptions): WebhookRequest {
  const body = buildWebhookBody(signal, explanation, options.sentAt);
  return { body, headers: headers('failure_signal', body, options) };
}

function buildWebhookDigestBody(digest: AlertDigest, sentAt: Date): string {
  const body: WebhookDigestBody = {
    schema_version: WEBHOOK_SCHEMA_VERSION,
    event: 'failure_signal_digest',
    sent_at: sentAt.toISOString(),
    failure_type: digest.failure_type,
    severity: digest.severity,
    agent_id: digest.agent_id,
    title: digest.title,
    count: digest.count,
    severity_counts: { ...digest.severity_counts },
    first_detected_at: digest.first_detected_at.toISOString(),
    last_detected_at: digest.last_detected_at.toISOString(),
    burst: digest.burst,
    window_seconds: digest.window_ms / 1_000,
    run_ids: digest.run_ids.slice(0, WEBHOOK_DIGEST_MAX_RUNS),
    run_ids_truncated: digest.run_ids.length > WEBHOOK_DIGEST_MAX_RUNS,
  };
  return JSON.stringify(body);
}

export function buildWebhookDigestRequest(digest: AlertDigest, options: WebhookOptions): WebhookRequest {
  const body = buildWebhookDigestBody(digest, options.sentAt);
  return { body, headers: headers('failure_signal_digest', body, options) };
}

function headers(event: string, body: string, options: WebhookOptions): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'dunetrace-otel',
    'X-Dunetrace-Event': event,
    'X-Dunetrace-Version': WEBHOOK_SCHEMA_VERSION,
  };
  if (options.deliveryId) h['X-Dunetrace-Delivery'] = options.deliveryId;
  if (options.secret) h[SIGNATURE_HEADER] = sign(body, options.secret);
  return h;
}
