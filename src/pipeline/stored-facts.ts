import type { MappedSpan } from '../mapping/events.js';
import { isObj } from '../model/index.js';
import type { MappedUnit } from './types.js';

/**
 * Leaves out of what is stored the digest facts no detector of the agent can use (detectors/stored-facts.ts). A set
 * whose absence reads as "nothing there" — grounding, warrant, a hand-off text's entities — is replaced by an empty,
 * truncated set under the same run key: a rule enabled later reads "not visible" and stays silent (fail open). The
 * others (argument entities, destinations and leaves, candidate records, a hand-off input) are simply left out: a rule
 * without them has nothing to judge. The unit given to the run tracker keeps everything.
 */

type Obj = Record<string, unknown>;

/** Facts whose absence a rule would read as an empty set (a corpus or a warrant): they get a marker. */
const MARKED = new Set(['grounding', 'warrant', 'handoff_text']);

/** The stored stand-in of a fact: hand-off texts keep their length, their set becomes the marker. */
function standIn(v: unknown): unknown {
  if (!isObj(v)) return v;
  if ('entities' in v && typeof v.length === 'number') return { length: v.length, entities: standIn(v.entities) };
  return { key: typeof v.key === 'string' ? v.key : '00000000', digests: [], truncated: true };
}

function strip(holder: object, unused: ReadonlySet<string>): Obj | null {
  let out: Obj | null = null;
  for (const k of Object.keys(holder)) {
    if (!unused.has(k)) continue;
    out ??= { ...holder };
    if (MARKED.has(k)) out[k] = standIn(out[k]);
    else delete out[k];
  }
  return out;
}

/** The unit as it is stored: a copy when a fact was left out, else the unit itself. */
export function withoutUnusedFacts(unit: MappedUnit, unused: ReadonlySet<string>): MappedUnit {
  if (unused.size === 0) return unit;
  const { span } = unit;
  const root = span.root === null ? null : strip(span.root, unused);
  let events: MappedSpan['events'] | null = null;
  span.events.forEach((e, i) => {
    const payload = isObj(e.payload) ? strip(e.payload, unused) : null;
    if (payload === null) return;
    events ??= [...span.events];
    events[i] = { ...e, payload } as unknown as (typeof span.events)[number];
  });
  if (root === null && events === null) return unit;
  return { ...unit, span: { ...span, root: (root as MappedSpan['root']) ?? span.root, events: events ?? span.events } };
}
