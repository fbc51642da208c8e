import type { Job } from './jobs.js';
import { buildSlackDigestRequest, buildSlackRequest } from './slack.js';
import { SEVERITY_RANK, type AlertDigest, type Severity, type StoredSignal, type Explanation } from './types.js';
import { buildWebhookDigestRequest, buildWebhookRequest } from './webhook.js';

/** The HTTP request a job sends, from the channel's message builder (slack.ts, webhook.ts). Pure apart from `explain`. */

export interface MessageOptions {
  /** Without trailing slash; no "View run" links when null. */
  dashboardUrl: string | null;
  webhookSecret: string | null;
  /** The flood guard's settings, quoted in digests. */
  burst: number;
  floodWindowMs: number;
}

export function buildJobRequest(
  job: Job,
  explain: (s: StoredSignal) => Explanation,
  options: MessageOptions,
  sentAt: number,
): { body: string; headers: Record<string, string> } {
  if (job.kind === 'single') {
    const explanation = explain(job.signal);
    if (job.channel.name === 'slack') return buildSlackRequest(job.signal, explanation, options.dashboardUrl);
    return buildWebhookRequest(job.signal, explanation, {
      secret: options.webhookSecret,
      sentAt: new Date(sentAt),
      deliveryId: `signal-${job.signal.id}`,
    });
  }
  const digest = buildDigest(job.signals, explain, options);
  if (job.channel.name === 'slack') return buildSlackDigestRequest(digest, options.dashboardUrl);
  return buildWebhookDigestRequest(digest, {
    secret: options.webhookSecret,
    sentAt: new Date(sentAt),
    // Stable for the same set of rows, so a resent digest keeps its delivery id.
    deliveryId: `digest-${Math.min(...job.signals.map((s) => s.id))}-${job.signals.length}`,
  });
}

/** Folds signals of one flood key into a digest: oldest first, the highest severity, counts per severity. */
export function buildDigest(signals: readonly StoredSignal[], explain: (s: StoredSignal) => Explanation, options: MessageOptions): AlertDigest {
  const sorted = [...signals].sort((a, b) => a.detected_at.getTime() - b.detected_at.getTime() || a.id - b.id);
  const first = sorted[0];
  const severity_counts: Partial<Record<Severity, number>> = {};
  let severity: Severity = 'LOW';
  for (const s of sorted) {
    severity_counts[s.severity] = (severity_counts[s.severity] ?? 0) + 1;
    if (SEVERITY_RANK[s.severity] > SEVERITY_RANK[severity]) severity = s.severity;
  }
  return {
    customer_id: first.customer_id,
    agent_id: first.agent_id,
    failure_type: first.failure_type,
    severity,
    count: sorted.length,
    run_ids: sorted.map((s) => s.run_id),
    severity_counts,
    first_detected_at: first.detected_at,
    last_detected_at: sorted[sorted.length - 1].detected_at,
    title: explain(first).title,
    burst: options.burst,
    window_ms: options.floodWindowMs,
  };
}

/** What is sent when the explainer fails: built from the failure type and step only, so it holds no content either. */
export function fallbackExplanation(signal: StoredSignal): Explanation {
  return {
    title: `${signal.failure_type} detected`,
    what: `Detector ${signal.failure_type} fired at step ${signal.step_index}.`,
    why_it_matters: 'No explanation is available for this failure type.',
    evidence_summary: '',
    suggested_fixes: [],
  };
}
