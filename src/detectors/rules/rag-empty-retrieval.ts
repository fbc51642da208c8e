/**
 * RAG_EMPTY_RETRIEVAL (MEDIUM, 0.88). The run ended in a final answer although a retrieval came back bad:
 * result_count < `min_results`, or top_score < `min_score`. Unknown counts/scores (null) are not bad. The worst bad
 * retrieval (fewest results, then lowest score) is reported. Step: that retrieval.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { round, safeName } from '../util.js';

const schema = z.strictObject({
  min_score: z.number().min(0).describe('lowest acceptable top relevance score (score units of the vector store)'),
  min_results: z.number().int().min(1).describe('fewest acceptable results of one retrieval (count)'),
});
type Params = z.infer<typeof schema>;

export const ragEmptyRetrieval = defineDetector<Params>()({
  failure_type: 'RAG_EMPTY_RETRIEVAL',
  key: 'rag_empty_retrieval',
  description: 'Final answer after a retrieval with < `min_results` results or top score < `min_score`.',
  live: false,
  defaults: { min_score: 0.3, min_results: 1 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    if (f.exit !== 'final_answer') return null;
    const bad = f.retrievals.filter(
      (r) => r.responded && ((r.result_count !== null && r.result_count < params.min_results) || (r.top_score !== null && r.top_score < params.min_score)),
    );
    if (bad.length === 0) return null;
    const key = (n: number | null): number => (n === null ? Number.POSITIVE_INFINITY : n);
    const worst = [...bad].sort((a, b) => key(a.result_count) - key(b.result_count) || key(a.top_score) - key(b.top_score))[0];
    return {
      failure_type: 'RAG_EMPTY_RETRIEVAL',
      severity: 'MEDIUM',
      confidence: 0.88,
      step_index: worst.step_index,
      evidence: {
        index_name: safeName(worst.index_name),
        result_count: worst.result_count,
        top_score: worst.top_score === null ? null : round(worst.top_score, 3),
        bad_retrievals: bad.length,
        total_retrievals: f.retrievals.length,
      },
    };
  },
  explain: (e) => ({
    title: `Answered after an empty retrieval from ${e.s('index_name')}`,
    what: `A retrieval from ${e.s('index_name')} returned ${e.has('result_count') ? `${e.n('result_count')} results` : 'results'}${e.has('top_score') ? ` (top score ${e.s('top_score')})` : ''}; ${e.n('bad_retrievals')} of ${e.n('total_retrievals')} retrievals were empty or weak, yet the agent still gave a final answer.`,
    why_it_matters: 'Without grounding documents the answer is likely made up, while looking sourced.',
    suggested_fixes: [
      { description: 'When retrieval returns nothing relevant, have the agent say so or retry with a rewritten query instead of answering.' },
      { description: 'Check the index (freshness, embedding model, filters) for the queries that come back empty.' },
    ],
  }),
});
