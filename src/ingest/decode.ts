import { z } from 'zod';
import { PermanentError } from '../errors/index.js';
import { DUNETRACE_EVENT_TYPES, type DunetraceEvent } from '../mapping/index.js';

/**
 * Decoding of POST /v1/ingest, the original Dunetrace's wire format (both SDK generations):
 *   { api_key?, agent_id, events: [ { event_type, run_id, agent_id, agent_version, step_index, timestamp?, payload?,
 *                                      parent_run_id?, trace_id?, conversation_id?, event_id? }, … 1..500 ] }
 * Field checks follow the original (a bad event type, no run id, more than 500 events: 422 naming the event index
 * and field); fields it defaulted are defaulted here. Payloads are free-form: the mapping core reads what it knows.
 */

export const MAX_EVENTS = 500;

const id = z.string().min(1).max(512);
const optionalId = z.string().max(512).nullish();

const eventSchema = z.object({
  event_type: z.enum(DUNETRACE_EVENT_TYPES),
  run_id: id,
  agent_id: id.optional(),
  agent_version: z.string().max(512).nullish(),
  step_index: z.number().int().min(0).default(0),
  timestamp: z.number().finite().nullish(),
  payload: z.record(z.string(), z.unknown()).nullish(),
  parent_run_id: optionalId,
  trace_id: optionalId,
  conversation_id: optionalId,
  event_id: optionalId,
});

const bodySchema = z.object({
  api_key: z.string().nullish(),
  agent_id: id,
  events: z.array(eventSchema).min(1, 'a batch needs 1 to 500 events').max(MAX_EVENTS, `at most ${MAX_EVENTS} events per batch`),
});

export interface IngestBody {
  /** The key in the body (the 0.3 SDKs send it there; headers win when both are given). */
  apiKey: string | null;
  agentId: string;
  events: DunetraceEvent[];
}

/** Parses and validates a request body; throws a permanent error (400 not JSON, 422 invalid) naming the field. */
export function decodeIngestBody(body: Buffer): IngestBody {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PermanentError('invalid_argument', 'MALFORMED_REQUEST', 'the body is not JSON: send {"agent_id": …, "events": [ … ]}');
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((i) => `${fieldPath(i.path)}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? `; and ${parsed.error.issues.length - 5} more` : '';
    throw new PermanentError('unprocessable', 'INVALID_EVENTS', lines.join('; ') + more);
  }
  const b = parsed.data;
  return {
    apiKey: b.api_key ?? null,
    agentId: b.agent_id,
    events: b.events.map((e) => ({
      event_type: e.event_type,
      run_id: e.run_id,
      agent_id: e.agent_id ?? b.agent_id,
      agent_version: e.agent_version ?? '',
      step_index: e.step_index,
      ...(e.timestamp != null ? { timestamp: e.timestamp } : {}),
      payload: e.payload ?? {},
      parent_run_id: e.parent_run_id ?? null,
      trace_id: e.trace_id ?? null,
      conversation_id: e.conversation_id ?? null,
      event_id: e.event_id ?? null,
    })),
  };
}

/** events.3.event_type → events[3].event_type */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || 'body';
}
