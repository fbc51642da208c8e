/** PREMATURE_TERMINATION: the original's firing cases and near-misses (upstream v2 §1.1), from text. */
import { describe, expect, it } from 'vitest';
import { detect, run } from './run-builder.js';

const failed = (o: { error?: string; result?: string; success?: boolean } = {}) => ({ success: false, error: '503 Service Unavailable', ...o });

describe('PREMATURE_TERMINATION', () => {
  it.each([
    [
      'declared failure, final claim',
      run().tool('book', failed()).llm({ reply: 'Your table is booked for 7pm tonight.' }),
      'CRITICAL',
      0.85,
      'booked',
      'declared',
      true,
    ],
    [
      'declared failure, a later answer follows',
      run().tool('book', failed()).llm({ reply: 'All done, the meeting was scheduled.' }).llm({ reply: 'Anything else I can help with today?' }),
      'HIGH',
      0.75,
      'scheduled',
      'declared',
      false,
    ],
    [
      'success but the result reports an error',
      run().tool('send', { result: 'Error: mailbox not found' }).llm({ reply: 'The message was sent to Bob just now.' }),
      'CRITICAL',
      0.85,
      'sent',
      'output_text',
      true,
    ],
  ])('%s', (_name, b, severity, confidence, term, source, isFinal) => {
    const s = detect('PREMATURE_TERMINATION', b.finalAnswer().build());
    expect(s).toMatchObject({ severity, confidence, evidence: { matched_completion_term: term, failure_source: source, is_final_message: isFinal } });
  });

  it('reports the first completion term in vocabulary order and the error marker', () => {
    const s = detect(
      'PREMATURE_TERMINATION',
      run()
        .tool('x', failed({ error: 'request timeout' }))
        .llm({ reply: 'Done! Saved and completed.' })
        .finalAnswer()
        .build(),
    );
    expect(s?.evidence).toMatchObject({
      matched_completion_term: 'completed',
      matched_error_marker: 'timeout',
      failed_tool: 'x',
      failed_tool_step: 1,
      claim_step: 2,
    });
  });

  it.each([
    ['the answer acknowledges the error', run().tool('book', failed()).llm({ reply: 'Sorry, the table could not be booked.' })],
    ['the answer is shorter than 20 code points', run().tool('book', failed()).llm({ reply: 'Booked!' })],
    ['no completion word', run().tool('book', failed()).llm({ reply: 'Let me try that booking once more.' })],
    ['the tool succeeded with a clean result', run().tool('book', { result: 'table 12 reserved' }).llm({ reply: 'Your table is booked for 7pm tonight.' })],
    ['no answer after the failure', run().llm({ reply: 'Your table is booked for 7pm tonight.' }).tool('book', failed())],
    ['answer text not captured', run().tool('book', failed()).llm({})],
  ])('silent when %s', (_name, b) => {
    expect(detect('PREMATURE_TERMINATION', b.finalAnswer().build())).toBeNull();
  });

  it('the word lists are configurable subsets of the vocabulary', () => {
    const r = run().tool('book', failed()).llm({ reply: 'Your table is booked for 7pm tonight.' }).finalAnswer().build();
    expect(detect('PREMATURE_TERMINATION', r, { completion_terms: ['sent'] })).toBeNull();
    expect(detect('PREMATURE_TERMINATION', r, { min_message_length: 100 })).toBeNull();
  });

  it('counts code points: 19 emoji and a word is 20, not 39', () => {
    const reply = 'done ' + '🎉'.repeat(15);
    const r = run().tool('book', failed()).llm({ reply }).finalAnswer().build();
    expect(reply.length).toBe(35);
    expect(detect('PREMATURE_TERMINATION', r)).not.toBeNull();
    expect(detect('PREMATURE_TERMINATION', r, { min_message_length: 21 })).toBeNull();
  });
});
