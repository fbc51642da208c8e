/**
 * DELEGATION_LOOP (HIGH; CRITICAL at 2 × `min_cycles`; 0.80; alerts by default). Agents keep handing the same
 * work around in a circle.
 *  - Delegation edges, in run order: an `agent.invoked` signal for agent Y is an edge X → Y where X is the nearest
 *    ancestor agent span (nested delegation), else the agent active before (a sibling handoff: the target of the
 *    last handoff, or the root agent from run.started). A handoff tool whose name names its target
 *    (transfer_to_Y, handoff_to_Y, delegate_to_Y) is an edge from the agent owning the tool span (or the active
 *    agent) to Y; the agent.invoked that merely activates the agent a handoff tool just named is not counted twice.
 *    Agent names are compared lower-case, punctuation-insensitive, "_agent" suffix dropped.
 *  - An edge X → Y closes a cycle when Y already (transitively) delegated to X through earlier edges.
 *  - Fires when closed cycles over the same set of agents reach `min_cycles` (so a supervisor that sends work to
 *    different workers, each reporting back once, does not fire; A ⇄ B ping-pong does).
 * A ⇄ B: edges A→B, B→A (1 cycle), A→B (2), B→A (3), A→B (4): with the default 4, work bounced 3 times.
 * Step: the edge that closed the `min_cycles`-th cycle; `cycles` counts all of them.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { HOP_LIMIT } from '../fixes.js';
import { nameList, str } from '../util.js';
import { DEFAULT_HANDOFF_TOOL_PATTERNS, agentsBySpan, ancestorAgent, handoffs, normAgent } from './handoff.js';

const schema = z.strictObject({
  min_cycles: z.number().int().min(1).describe('closed delegation cycles over the same agents (count)'),
  handoff_tool_patterns: z.array(z.string().min(1)).describe('tool-name globs (* and ?, case-insensitive) that mark a handoff tool (list)'),
});
type Params = z.infer<typeof schema>;

const MAX_EDGES = 1000;

/** Agents on a path from `from` to `to` over `edges` (BFS), or null when `to` is unreachable. */
function path(edges: Map<string, Set<string>>, from: string, to: string): string[] | null {
  const prev = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const cur = queue.shift() as string;
    if (cur === to) {
      const out: string[] = [];
      for (let n: string | null = cur; n !== null; n = prev.get(n) ?? null) out.unshift(n);
      return out;
    }
    for (const next of edges.get(cur) ?? []) {
      if (!prev.has(next)) {
        prev.set(next, cur);
        queue.push(next);
      }
    }
  }
  return null;
}

export const delegationLoop = defineDetector<Params>()({
  failure_type: 'DELEGATION_LOOP',
  key: 'delegation_loop',
  description: 'Agents delegate to each other in a cycle, `min_cycles` or more times over the same agents.',
  live: false,
  defaults: { min_cycles: 4, handoff_tool_patterns: [...DEFAULT_HANDOFF_TOOL_PATTERNS] },
  schema,
  severities: ['HIGH', 'CRITICAL'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    const agents = agentsBySpan(f);
    const rootName = str(f.started?.payload.agent_name);
    let active: string | null = rootName ? normAgent(rootName) : null;
    /** The edge a handoff tool just made: the agent.invoked that follows for the same target is the same handoff. */
    let pending = null as { from: string | null; target: string } | null;
    const edges = new Map<string, Set<string>>();
    const cycles = new Map<string, number>();
    let edgeCount = 0;
    let hit: { key: string; step: number; via: 'tool' | 'agent' } | null = null;
    for (const h of handoffs(f, params.handoff_tool_patterns)) {
      if (edgeCount >= MAX_EDGES || h.target === null) continue;
      const spanParent = h.kind === 'tool' ? h.tool.span_id : h.signal.parent_span_id;
      const owner = ancestorAgent(f, agents, spanParent);
      if (h.kind === 'agent' && pending?.target === h.target && (owner === null || owner === pending.from)) {
        pending = null;
        active = h.target;
        continue;
      }
      const from: string | null = owner ?? active;
      active = h.target;
      pending = h.kind === 'tool' ? { from, target: h.target } : null;
      if (from === null || from === h.target) continue;
      edgeCount++;
      const closed = path(edges, h.target, from);
      if (!edges.has(from)) edges.set(from, new Set());
      (edges.get(from) as Set<string>).add(h.target);
      if (closed === null) continue;
      const key = [...new Set(closed)].sort().join('>');
      const n = (cycles.get(key) ?? 0) + 1;
      cycles.set(key, n);
      if (n === params.min_cycles && hit === null) hit = { key, step: h.step_index, via: h.kind };
    }
    if (hit === null) return null;
    const members = hit.key.split('>');
    const n = cycles.get(hit.key) ?? params.min_cycles;
    const distinct = new Set<string>();
    for (const [a, bs] of edges) {
      distinct.add(a);
      for (const b of bs) distinct.add(b);
    }
    return {
      failure_type: 'DELEGATION_LOOP',
      severity: n >= 2 * params.min_cycles ? 'CRITICAL' : 'HIGH',
      confidence: 0.8,
      step_index: hit.step,
      evidence: {
        agents: nameList(members),
        cycle_length: members.length,
        cycles: n,
        min_cycles: params.min_cycles,
        delegations: edgeCount,
        distinct_agents: distinct.size,
        via: hit.via === 'tool' ? 'handoff_tool' : 'agent_span',
      },
    };
  },
  explain: (e) => ({
    title: `Delegation loop between ${e.list('agents')}`,
    what: `Work went around between ${e.list('agents')} ${e.n('cycles')} times (${e.n('delegations')} delegations among ${e.n('distinct_agents')} agents, via ${e.s('via').replace(/_/g, ' ')}).`,
    why_it_matters: 'Agents handing work back and forth never finish it, and every hop costs tokens and time.',
    suggested_fixes: [
      { description: 'Limit the number of handoffs per run and give each agent a clear "done" condition.', language: 'typescript', code: HOP_LIMIT },
    ],
  }),
});
