import { describe, expect, it } from 'vitest';
import { DROPPABLE_FACTS, defaultDetectorConfig, parseDetectorConfig, settingsFor, unusedFacts } from '../../src/detectors/index.js';
import { withoutUnusedFacts } from '../../src/pipeline/stored-facts.js';
import { digestSet, llmSpan, newRunId, rootSpan, toolSpan } from '../storage/fixtures.js';

describe('digest facts no detector can use are not stored (pipeline/stored-facts.ts)', () => {
  it('by default: UNRESOLVED_AMBIGUITY’s facts until irreversible_tools is set; a rule turned off gives up its own', () => {
    expect(unusedFacts(settingsFor(defaultDetectorConfig(), 'any'))).toEqual(new Set(['warrant', 'arg_leaves', 'candidates']));
    const armed = parseDetectorConfig('default:\n  unresolved_ambiguity:\n    irreversible_tools: [cancel_order]\n');
    expect(unusedFacts(settingsFor(armed, 'any'))).toEqual(new Set());
    const off = parseDetectorConfig('default:\n  tool_argument_fabrication:\n    enabled: false\n  ungrounded_destination:\n    enabled: false\n');
    const unused = unusedFacts(settingsFor(off, 'any'));
    // The two rules that read grounding are off: it goes too; the hand-off facts stay (HANDOFF_CONTEXT_LOSS reads them).
    expect([...unused].sort()).toEqual(['arg_destinations', 'arg_entities', 'arg_leaves', 'candidates', 'grounding', 'warrant']);
    expect(DROPPABLE_FACTS).toContain('handoff_text');
    // Per agent: a section arms the rule for one agent only.
    const perAgent = parseDetectorConfig('billing:\n  unresolved_ambiguity:\n    irreversible_tools: [refund]\n');
    expect(unusedFacts(settingsFor(perAgent, 'billing'))).toEqual(new Set());
    expect(unusedFacts(settingsFor(perAgent, 'support'))).toEqual(new Set(['warrant', 'arg_leaves', 'candidates']));
  });

  it('stores a truncated marker under the same run key where absence would read as empty (hand-off lengths kept), leaves the rest out; the mapped span is untouched', () => {
    const runId = newRunId();
    const root = rootSpan(runId);
    Object.assign(root.root as object, { warrant: digestSet(5), grounding: digestSet(3), handoff_text: { length: 42, entities: digestSet(2) } });
    const llm = llmSpan(runId, root.span_id, 0);
    Object.assign(llm.events[0].payload, { warrant: digestSet(7), grounding: digestSet(4) });
    const tool = toolSpan(runId, root.span_id);
    Object.assign(tool.events[1].payload, {
      candidates: { key: 'a1b2c3d4', sets: [{ broad: false, records: [{ ids: ['0123456789abcdef'], disc: [] }] }], truncated: false },
    });
    const before = JSON.stringify([root, llm, tool]);
    const unused = new Set(['warrant', 'candidates', 'handoff_text']);
    const [r, l, t] = [root, llm, tool].map((span) => withoutUnusedFacts({ run_id: runId, agent_id: 'a', span }, unused).span);
    expect(JSON.stringify([root, llm, tool])).toBe(before);
    const marker = { key: 'a1b2c3d4', digests: [], truncated: true };
    expect(r.root).toMatchObject({
      warrant: marker,
      grounding: { digests: expect.any(Array) as unknown, truncated: false },
      handoff_text: { length: 42, entities: marker },
    });
    expect(l.events[0].payload).toMatchObject({ warrant: marker, grounding: { truncated: false } });
    // Without candidate records a rule has no anchor: left out, no marker needed.
    expect(t.events[1].payload).not.toHaveProperty('candidates');
    // Nothing to leave out: the very same unit.
    const unit = { run_id: runId, agent_id: 'a', span: toolSpan(runId, root.span_id) };
    expect(withoutUnusedFacts(unit, unused)).toBe(unit);
  });
});
