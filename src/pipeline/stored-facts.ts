import type { MappedSpan } from '../mapping/events.js';
import type { MappedUnit } from './types.js';

/**
 * Leaves out of what is stored the digest facts no detector of the agent can use (detectors/stored-facts.ts). Each
 * is replaced by a truncated, empty set under the same run key: a rule enabled later reads "not visible" there and
 * stays silent (fail open), never "absent". The unit given to the run tracker keeps everything.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored stand-in of a fact: hand-off facts keep their length, their set becomes the marker. */
function standIn(v: unknown): unknown {
  if (!isObj(v)) return v;
  for (const inner of ['entities', 'tokens']) if (inner in v && typeof v.length === 'number') return { length: v.length, [inner]: standIn(v[inner]) };
  return { key: typeof v.key === 'string' ? v.key : '00000000', digests: [], truncated: true };
}

function strip(holder: object, unused: ReadonlySet<string>): Obj | null {
  let out: Obj | null = null;
  for (const k of Object.keys(holder)) {
    if (!unused.has(k)) continue;
    out ??= { ...holder };
    out[k] = standIn(out[k]);
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
