/**
 * EXCESSIVE_RETRIEVAL (MEDIUM, 0.80; alerts by default). ≥ `threshold` retrieval calls in one run. The evidence
 * tells repeated queries (same query_hash) and empty results apart. Step: the retrieval that reached the threshold.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';

const schema = z.strictObject({
  threshold: z.number().int().min(2).describe('retrieval calls in one run (count)'),
});
type Params = z.infer<typeof schema>;

export const excessiveRetrieval = defineDetector<Params>()({
  failure_type: 'EXCESSIVE_RETRIEVAL',
  key: 'excessive_retrieval',
  description: '`threshold` or more retrieval calls in one run.',
  live: false,
  defaults: { threshold: 8 },
  schema,
  severities: ['MEDIUM'],
  reads: ['retrieval.query_hash'],
  detect(run, { params }) {
    const r = runFacts(run).retrievals;
    if (r.length < params.threshold) return null;
    const hashed = r.filter((x) => x.query_hash !== null);
    const distinctQueries = new Set(hashed.map((x) => x.query_hash)).size;
    return {
      failure_type: 'EXCESSIVE_RETRIEVAL',
      severity: 'MEDIUM',
      confidence: 0.8,
      step_index: r[params.threshold - 1].step_index,
      evidence: {
        retrieval_count: r.length,
        threshold: params.threshold,
        distinct_indexes: new Set(r.map((x) => x.index_name)).size,
        distinct_queries: distinctQueries,
        repeated_queries: hashed.length - distinctQueries,
        empty_results: r.filter((x) => x.result_count === 0).length,
        first_step: r[0].step_index,
      },
    };
  },
  explain: (e) => ({
    title: `${e.n('retrieval_count')} retrievals in one run`,
    what: `The agent ran ${e.n('retrieval_count')} retrievals (${e.n('distinct_queries')} distinct queries, ${e.n('repeated_queries')} repeated, ${e.n('empty_results')} empty) over ${e.n('distinct_indexes')} indexes.`,
    why_it_matters: 'Retrieving again and again means the agent is not finding what it needs: cost, latency and context bloat.',
    suggested_fixes: [{ description: 'Cap retrievals per run, cache repeated queries, and improve query rewriting or the index.' }],
  }),
});
