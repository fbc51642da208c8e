/**
 * MEMORY_POISONING (HIGH 0.7; CRITICAL 0.85 when the write came from an untrusted source or was read back; alerting by default — the original's "live"; judged once the run is finished, so a later deviation/read-back can still escalate it).
 * The original's rule over `memory.written` signals: a written value carrying one of its poison markers (24 phrases,
 * embedded role marker, instruction delimiter), found where the value is (mapping/directives.ts) and sent as the
 * marker code `poison_marker`, never the value. With `require_untrusted_source`, writes from trusted sources are
 * skipped. untrusted = source ∈ {retrieval, tool_output, external}; consumed = a `memory.read` of the same key (or,
 * for GenAI memory spans, of the store the record went to) at a step ≥ the write's. Fires on the first poisoned write; step: that write's.
 */
import { z } from 'zod';
import { POISON_MARKER_ORDER, firstMarker } from '../../mapping/directives.js';
import { runFacts, type SignalFact } from '../facts.js';
import { defineDetector } from '../types.js';
import { safeName, str } from '../util.js';
import { MEMORY_WRITE_GUARD } from '../fixes-read-back.js';

const schema = z.strictObject({
  require_untrusted_source: z.boolean().describe('only judge writes whose source is retrieval, tool_output or external (true/false)'),
});
type Params = z.infer<typeof schema>;

export const UNTRUSTED_MEMORY_SOURCES: ReadonlySet<string> = new Set(['retrieval', 'tool_output', 'external']);

const keyOf = (s: SignalFact): string | null => str(s.meta.key);

export const memoryPoisoning = defineDetector<Params>()({
  failure_type: 'MEMORY_POISONING',
  key: 'memory_poisoning',
  description: 'A memory write stored instruction-like text (override phrase, role marker, chat delimiter) the agent may later obey.',
  severities: ['HIGH', 'CRITICAL'],
  reads: ['memory.poison_marker'],
  live: false,
  defaults: { require_untrusted_source: false },
  schema,
  detect(run, { params }) {
    const f = runFacts(run);
    const poisoned: { write: SignalFact; label: string; source: string | null; untrusted: boolean }[] = [];
    for (const s of f.signals) {
      if (s.name !== 'memory.written') continue;
      const code = str(s.meta.poison_marker);
      const marker = code === null ? null : firstMarker([code], POISON_MARKER_ORDER);
      if (marker === null) continue;
      const source = str(s.meta.source)?.toLowerCase() ?? null;
      const untrusted = source !== null && UNTRUSTED_MEMORY_SOURCES.has(source);
      if (params.require_untrusted_source && !untrusted) continue;
      poisoned.push({ write: s, label: marker.label, source, untrusted });
    }
    if (poisoned.length === 0) return null;
    const { write, label, source, untrusted } = poisoned[0];
    const key = keyOf(write);
    const store = str(write.meta.store);
    // Same key, or (GenAI memory spans) a search of the store the record was written to.
    const readsIt = (r: SignalFact): boolean => {
      const k = keyOf(r);
      return (key !== null && k === key) || (store !== null && (str(r.meta.store) === store || k === store));
    };
    const consumed = f.signals.some((s) => s.name === 'memory.read' && s.step_index >= write.step_index && readsIt(s));
    const critical = untrusted || consumed;
    return {
      failure_type: 'MEMORY_POISONING',
      severity: critical ? 'CRITICAL' : 'HIGH',
      confidence: critical ? 0.85 : 0.7,
      step_index: write.step_index,
      evidence: {
        memory_key: key === null ? null : safeName(key),
        source: source === null ? null : safeName(source),
        matched_marker: label,
        untrusted_source: untrusted,
        consumed,
        write_step: write.step_index,
        poisoned_write_count: poisoned.length,
      },
    };
  },
  explain: (e) => ({
    title: 'Instructions written into agent memory',
    what: `At step ${e.n('write_step')} the agent wrote a value${e.has('memory_key') ? ` under the key ${e.s('memory_key')}` : ''}${e.has('source') ? ` (source: ${e.s('source')})` : ''} that contains an instruction-like marker ("${e.s('matched_marker')}")${e.is('consumed') ? '; the same key was read back later in the run' : ''}. ${e.n('poisoned_write_count')} write(s) in this run carried such markers.`,
    why_it_matters:
      'Memory outlives the turn: an instruction stored there is replayed into later prompts, so one poisoned document or tool answer can steer every future run that reads it.',
    suggested_fixes: [
      {
        description: 'Record where each memory value came from, refuse (or quote) values from untrusted sources that carry directives, and clear this key.',
        language: 'typescript',
        code: MEMORY_WRITE_GUARD,
      },
    ],
  }),
});
