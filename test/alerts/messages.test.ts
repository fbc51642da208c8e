import { describe, expect, it } from 'vitest';
import {
  buildSlackDigestMessage,
  buildSlackMessage,
  buildWebhookDigestRequest,
  buildWebhookRequest,
  verifySignature,
  type AlertDigest,
  type SlackBlock,
} from '../../src/alerts/index.js';
import { explain, makeSignal, SEVERITIES } from './helpers.js';

const DASH = 'https://dash.example.com/';

function texts(blocks: SlackBlock[]): string[] {
  return blocks.map((b) => {
    if (b.type === 'header' || b.type === 'section') return b.text.text;
    if (b.type === 'context') return b.elements.map((e) => e.text).join(' ');
    if (b.type === 'actions') return b.elements.map((e) => `${e.text.text} ${e.url}`).join(' ');
    return '---';
  });
}

describe('buildSlackMessage', () => {
  it('lays out every Block Kit section in upstream order', () => {
    const s = makeSignal({ severity: 'CRITICAL', confidence: 0.873, step_index: 12 });
    const msg = buildSlackMessage(s, explain(s), DASH);
    expect(Object.keys(msg)).toEqual(['text', 'attachments']);
    expect(msg.attachments).toHaveLength(1);
    const { color, blocks } = msg.attachments[0];
    expect(color).toBe('#FF0000');
    expect(blocks.map((b) => b.type)).toEqual(['header', 'context', 'divider', 'section', 'section', 'section', 'divider', 'section', 'divider', 'actions']);
    const t = texts(blocks);
    expect(t[0]).toBe(':red_circle:  Tool loop: TOOL_LOOP');
    expect(t[1]).toBe(`*Agent:* \`support-bot\`  *Version:* \`a1b2c3d4\`  *Run:* \`${s.run_id}\`  *Step:* 12  *Confidence:* 87%`);
    expect(t[3]).toBe('*What happened*\nThe agent called the same tool 5 times in a row.');
    // mrkdwn control characters are escaped
    expect(t[4]).toBe('*Why it matters*\nLoops burn tokens &amp; time without progress &lt;for the user&gt;.');
    expect(t[5]).toBe('*Evidence*\n```tool=web_search count=5```');
    expect(t[7]).toBe('*Suggested fix:* Cap repeated tool calls per run.\n```if calls[tool] &gt; 3:\n    break```');
    const actions = blocks[9];
    expect(actions).toEqual({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'View run' }, url: `https://dash.example.com/runs/${s.run_id}`, style: 'primary' }],
    });
  });

  it.each([
    ['CRITICAL', '#FF0000', ':red_circle:'],
    ['HIGH', '#FF6B00', ':large_orange_circle:'],
    ['MEDIUM', '#FFB800', ':large_yellow_circle:'],
    ['LOW', '#36A64F', ':white_circle:'],
  ] as const)('%s → colour %s and %s', (severity, color, emoji) => {
    const s = makeSignal({ severity });
    const msg = buildSlackMessage(s, explain(s), DASH);
    expect(msg.attachments[0].color).toBe(color);
    expect(texts(msg.attachments[0].blocks)[0].startsWith(`${emoji}  `)).toBe(true);
  });

  it('omits the fix section without fixes, code ≥ 800 chars, and the button without a dashboard', () => {
    const s = makeSignal({ agent_version: null });
    const noFix = buildSlackMessage(s, { ...explain(s), suggested_fixes: [] }, null);
    expect(noFix.attachments[0].blocks.map((b) => b.type)).toEqual(['header', 'context', 'divider', 'section', 'section', 'section']);
    expect(texts(noFix.attachments[0].blocks)[1]).toContain('*Version:* `unknown`');
    const longCode = buildSlackMessage(s, { ...explain(s), suggested_fixes: [{ description: 'd', code: 'x'.repeat(800) }] }, DASH);
    expect(texts(longCode.attachments[0].blocks)[7]).toBe('*Suggested fix:* d');
  });

  it('stays within Slack limits for oversized text (a 400 invalid_blocks would lose the alert)', () => {
    const s = makeSignal();
    const huge = 'y'.repeat(10_000);
    const msg = buildSlackMessage(s, { ...explain(s), title: huge, what: huge, evidence_summary: 'a```b' + huge }, DASH);
    const blocks = msg.attachments[0].blocks;
    const header = blocks[0] as Extract<SlackBlock, { type: 'header' }>;
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    for (const b of blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(3_000);
    expect(texts(blocks)[5].match(/```/g)).toHaveLength(2); // an inner ``` cannot close the code block
  });
});

describe('buildSlackDigestMessage', () => {
  const digest: AlertDigest = {
    customer_id: 'c',
    agent_id: 'support-bot',
    failure_type: 'TOOL_LOOP',
    severity: 'HIGH',
    count: 25,
    run_ids: Array.from({ length: 25 }, (_, i) => i.toString(16).padStart(32, '0')),
    severity_counts: { HIGH: 20, MEDIUM: 5 },
    first_detected_at: new Date('2026-01-01T00:00:00Z'),
    last_detected_at: new Date('2026-01-01T00:00:59Z'),
    title: 'Tool loop',
    burst: 10,
    window_ms: 60_000,
  };

  it('lists counts and capped, linked run ids', () => {
    const msg = buildSlackDigestMessage(digest, DASH);
    expect(msg.attachments[0].color).toBe('#FF6B00');
    const t = texts(msg.attachments[0].blocks);
    expect(t[0]).toBe(':large_orange_circle:  Tool loop ×25');
    expect(t[1]).toContain('*Alerts:* 25');
    expect(t[1]).toContain('HIGH 20, MEDIUM 5');
    expect(t[3]).toContain('More than 10 alerts in a minute');
    const runs = t[4].split('\n');
    expect(runs[0]).toBe('*Runs*');
    expect(runs.slice(1, 21).every((l, i) => l === `• <https://dash.example.com/runs/${digest.run_ids[i]}|${digest.run_ids[i]}>`)).toBe(true);
    expect(runs[21]).toBe('…and 5 more');
  });
});

describe('buildWebhookRequest', () => {
  it('has exactly the reference fields, in order, compact', () => {
    const s = makeSignal({ severity: 'MEDIUM' });
    const sentAt = new Date('2026-01-02T03:04:06Z');
    const { body, headers } = buildWebhookRequest(s, explain(s), { secret: 'whsec', sentAt, deliveryId: 'signal-1' });
    const parsed = JSON.parse(body);
    expect(Object.keys(parsed)).toEqual([
      'schema_version',
      'event',
      'sent_at',
      'failure_type',
      'severity',
      'confidence',
      'run_id',
      'agent_id',
      'agent_version',
      'step_index',
      'detected_at',
      'title',
      'what',
      'why_it_matters',
      'evidence_summary',
      'evidence',
      'suggested_fixes',
    ]);
    expect(body).toBe(JSON.stringify(parsed)); // compact
    expect(parsed).toMatchObject({
      schema_version: '1.0',
      event: 'failure_signal',
      sent_at: '2026-01-02T03:04:06.000Z',
      failure_type: 'TOOL_LOOP',
      severity: 'MEDIUM',
      confidence: 0.87,
      run_id: s.run_id,
      agent_id: 'support-bot',
      agent_version: 'a1b2c3d4',
      step_index: 7,
      detected_at: '2026-01-02T03:04:05.678Z',
      title: 'Tool loop: TOOL_LOOP',
    });
    expect(parsed.evidence).toEqual(s.evidence);
    expect(parsed.suggested_fixes).toEqual([
      { description: 'Cap repeated tool calls per run.', language: 'python', code: 'if calls[tool] > 3:\n    break' },
      { description: 'Second fix (not shown in Slack).', language: null, code: null },
    ]);
    expect(headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Dunetrace-Event': 'failure_signal',
      'X-Dunetrace-Version': '1.0',
      'X-Dunetrace-Delivery': 'signal-1',
    });
    expect(verifySignature(body, 'whsec', headers['X-Dunetrace-Signature'])).toBe(true);
  });

  it('has no signature header without a secret', () => {
    const s = makeSignal();
    const { headers } = buildWebhookRequest(s, explain(s), { secret: null, sentAt: new Date() });
    expect(headers['X-Dunetrace-Signature']).toBeUndefined();
  });

  it('digest variant: event failure_signal_digest, counts and capped run ids, signed', () => {
    const ids = Array.from({ length: 150 }, (_, i) => i.toString(16).padStart(32, '0'));
    const { body, headers } = buildWebhookDigestRequest(
      {
        customer_id: 'c',
        agent_id: 'a',
        failure_type: 'T',
        severity: 'CRITICAL',
        count: 150,
        run_ids: ids,
        severity_counts: { CRITICAL: 1, LOW: 149 },
        first_detected_at: new Date(0),
        last_detected_at: new Date(1_000),
        title: 'x',
        burst: 10,
        window_ms: 60_000,
      },
      { secret: 'k', sentAt: new Date(2_000) },
    );
    const p = JSON.parse(body);
    expect(headers['X-Dunetrace-Event']).toBe('failure_signal_digest');
    expect(p).toMatchObject({ schema_version: '1.0', event: 'failure_signal_digest', count: 150, run_ids_truncated: true, window_seconds: 60 });
    expect(p.run_ids).toEqual(ids.slice(0, 100));
    expect(verifySignature(body, 'k', headers['X-Dunetrace-Signature'])).toBe(true);
  });

  it('covers every severity', () => {
    for (const severity of SEVERITIES) {
      const s = makeSignal({ severity });
      expect(JSON.parse(buildWebhookRequest(s, explain(s), { secret: null, sentAt: new Date() }).body).severity).toBe(severity);
    }
  });
});
