/** UNREAD_TOOL_ERROR: the original's firing cases and near-misses (upstream v2 §1.2), from text. */
import { describe, expect, it } from 'vitest';
import { detect, run } from './run-builder.js';

const failed = { success: false, error: 'connection refused: error 111' };

describe('UNREAD_TOOL_ERROR', () => {
  it('a tool call right after a failure: MEDIUM 0.65', () => {
    const s = detect('UNREAD_TOOL_ERROR', run().tool('lookup', failed).tool('charge', { result: 'ok' }).finalAnswer().build());
    expect(s).toMatchObject({
      severity: 'MEDIUM',
      confidence: 0.65,
      step_index: 2,
      evidence: {
        failed_tool: 'lookup',
        failed_tool_step: 1,
        next_action_type: 'tool_call',
        next_action_step: 2,
        unread_count: 1,
        failure_source: 'declared',
        matched_error_marker: 'error',
      },
    });
  });

  it('an answer without acknowledgement, twice: HIGH 0.80', () => {
    const r = run()
      .tool('a', failed)
      .llm({ reply: 'Here are your results.' })
      .tool('b', { result: 'Exception: quota exceeded' })
      .llm({ reply: 'All good.' })
      .finalAnswer()
      .build();
    expect(detect('UNREAD_TOOL_ERROR', r)).toMatchObject({
      severity: 'HIGH',
      confidence: 0.8,
      evidence: { unread_count: 2, next_action_type: 'llm_response' },
    });
  });

  it.each([
    ['the next answer acknowledges it', run().tool('a', failed).llm({ reply: 'Unfortunately the lookup failed.' })],
    ['nothing follows the failure', run().llm({ reply: 'ok' }).tool('a', failed)],
    ['the tool succeeded', run().tool('a', { result: 'all fine' }).tool('b', { result: 'ok' })],
    ['the next answer was not captured (unknown, not unread)', run().tool('a', failed).llm({})],
  ])('silent when %s', (_name, b) => {
    expect(detect('UNREAD_TOOL_ERROR', b.finalAnswer().build())).toBeNull();
  });
});
