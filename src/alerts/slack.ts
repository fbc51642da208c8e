import type { AlertDigest, Severity, StoredSignal, Explanation } from './types.js';

/**
 * Slack incoming-webhook messages (Block Kit inside a coloured attachment), pure. Layout follows upstream §6.4.
 * User-visible strings are escaped for mrkdwn (& < >) and cut to Slack's block limits, because an oversized or
 * malformed block is a permanent 400 `invalid_blocks` and the alert would be lost.
 */

const SEVERITY_STYLE: Readonly<Record<Severity, { color: string; emoji: string }>> = {
  CRITICAL: { color: '#FF0000', emoji: ':red_circle:' },
  HIGH: { color: '#FF6B00', emoji: ':large_orange_circle:' },
  MEDIUM: { color: '#FFB800', emoji: ':large_yellow_circle:' },
  LOW: { color: '#36A64F', emoji: ':white_circle:' },
};

/** Suggested-fix code is shown only below this length (upstream rule). */
const MAX_FIX_CODE_CHARS = 800;
/** Run ids listed in a digest message. */
const DIGEST_MAX_RUNS = 20;

const HEADER_MAX = 150; // plain_text header limit
const SECTION_MAX = 3_000; // section text limit

type Text = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: boolean } }
  | { type: 'context'; elements: Text[] }
  | { type: 'divider' }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | {
      type: 'actions';
      elements: { type: 'button'; text: { type: 'plain_text'; text: string }; url: string; style?: 'primary' | 'danger' }[];
    };

export interface SlackMessage {
  /** Notification fallback (push/desktop previews); the attachment carries the content. */
  text: string;
  attachments: [{ color: string; blocks: SlackBlock[] }];
}

export function buildSlackMessage(signal: StoredSignal, explanation: Explanation, dashboardUrl: string | null): SlackMessage {
  const style = SEVERITY_STYLE[signal.severity];
  const pct = Math.round(clamp01(signal.confidence) * 100);
  const blocks: SlackBlock[] = [
    header(`${style.emoji}  ${explanation.title}`),
    {
      type: 'context',
      elements: [
        mrkdwn(
          `*Agent:* ${code(signal.agent_id)}  *Version:* ${code(signal.agent_version ?? 'unknown')}  ` +
            `*Run:* ${code(signal.run_id)}  *Step:* ${signal.step_index}  *Confidence:* ${pct}%`,
        ),
      ],
    },
    { type: 'divider' },
    section(`*What happened*\n${escape(explanation.what)}`),
    section(`*Why it matters*\n${escape(explanation.why_it_matters)}`),
    section(`*Evidence*\n${codeBlock(explanation.evidence_summary)}`),
  ];
  const fix = explanation.suggested_fixes[0];
  if (fix) {
    let text = `*Suggested fix:* ${escape(fix.description)}`;
    if (fix.code && fix.code.length < MAX_FIX_CODE_CHARS) text += `\n${codeBlock(fix.code)}`;
    blocks.push({ type: 'divider' }, section(text));
  }
  const url = runUrl(dashboardUrl, signal.run_id);
  if (url) {
    blocks.push(
      { type: 'divider' },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'View run' }, url, style: 'primary' }],
      },
    );
  }
  return {
    text: cut(`${signal.severity}: ${explanation.title} (agent ${signal.agent_id})`, HEADER_MAX),
    attachments: [{ color: style.color, blocks }],
  };
}

/** One message for alerts the flood guard folded: counts, severities and (capped) run ids, each linked. */
export function buildSlackDigestMessage(digest: AlertDigest, dashboardUrl: string | null): SlackMessage {
  const style = SEVERITY_STYLE[digest.severity];
  const severities = (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const)
    .filter((s) => digest.severity_counts[s])
    .map((s) => `${s} ${digest.severity_counts[s]}`)
    .join(', ');
  const shown = digest.run_ids.slice(0, DIGEST_MAX_RUNS).map((id) => {
    const url = runUrl(dashboardUrl, id);
    return url ? `• <${url}|${escape(id)}>` : `• ${code(id)}`;
  });
  const more = digest.run_ids.length - shown.length;
  if (more > 0) shown.push(`…and ${more} more`);
  const minutes = formatWindow(digest.window_ms);
  const blocks: SlackBlock[] = [
    header(`${style.emoji}  ${digest.title} ×${digest.count}`),
    {
      type: 'context',
      elements: [
        mrkdwn(`*Agent:* ${code(digest.agent_id)}  *Failure:* ${code(digest.failure_type)}  *Alerts:* ${digest.count}  ` + `*Severity:* ${severities}`),
      ],
    },
    { type: 'divider' },
    section(
      `*Alert flood*\nMore than ${digest.burst} alerts in ${minutes} for this agent and failure type; ` +
        `${digest.count} more were folded into this message ` +
        `(detected ${digest.first_detected_at.toISOString()} – ${digest.last_detected_at.toISOString()}).`,
    ),
    section(`*Runs*\n${shown.join('\n')}`),
  ];
  return {
    text: cut(`${digest.severity}: ${digest.title} ×${digest.count} (agent ${digest.agent_id})`, HEADER_MAX),
    attachments: [{ color: style.color, blocks }],
  };
}

/** The POST for one alert: the message as JSON (Slack's incoming webhooks need no other header). */
export function buildSlackRequest(signal: StoredSignal, explanation: Explanation, dashboardUrl: string | null): SlackRequest {
  return slackRequest(buildSlackMessage(signal, explanation, dashboardUrl));
}

/** The POST for a flood-guard digest. */
export function buildSlackDigestRequest(digest: AlertDigest, dashboardUrl: string | null): SlackRequest {
  return slackRequest(buildSlackDigestMessage(digest, dashboardUrl));
}

export interface SlackRequest {
  body: string;
  headers: Record<string, string>;
}

function slackRequest(message: SlackMessage): SlackRequest {
  return { body: JSON.stringify(message), headers: { 'Content-Type': 'application/json', 'User-Agent': 'dunetrace-otel' } };
}

function runUrl(dashboardUrl: string | null, runId: string): string | null {
  if (!dashboardUrl) return null;
  return `${dashboardUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(runId)}`;
}

function header(text: string): SlackBlock {
  return { type: 'header', text: { type: 'plain_text', text: cut(text, HEADER_MAX), emoji: true } };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: cut(text, SECTION_MAX) } };
}

function mrkdwn(text: string): Text {
  return { type: 'mrkdwn', text: cut(text, SECTION_MAX) };
}

/** Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function code(s: string): string {
  return '`' + escape(cut(s.replace(/`/g, "'"), 200)) + '`';
}

function codeBlock(s: string): string {
  // A ``` inside would close the block early; a zero-width space keeps it literal.
  const body = escape(s.replace(/```/g, '`\u200b``'));
  return '```' + cut(body, SECTION_MAX - 100) + '```';
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

function clamp01(n: number): number {
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
}

function formatWindow(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'a minute' : `${ms / 60_000} minutes`;
  return `${Math.round(ms / 100) / 10} s`;
}
