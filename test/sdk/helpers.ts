import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createHasher, mapSpan, type MappedSpan, type RunEvent } from '../../src/mapping/index.js';
import { assembleRun } from '../../src/runs/assemble.js';
import type { AssembledRun } from '../../src/runs/types.js';
import { Dunetrace, type DunetraceOptions } from '../../src/sdk/index.js';
import { throughWire } from '../processor/helpers.js';

export const hasher = createHasher();

/** Log lines the SDK printed (its default logger is the console; tests pass this one). */
export function recordingLogger() {
  const lines: string[] = [];
  const push = (level: string) => (msg: string) => lines.push(`${level} ${msg}`);
  return { lines, logger: { error: push('error'), warn: push('warn'), info: push('info') } };
}

/**
 * A Dunetrace client whose processor exports into memory: `spans()` are exactly what would have gone on the wire
 * (redacted by the real DunetraceSpanProcessor), and `runs()` is what the receiver makes of them — through the real
 * OTLP/JSON serializer, the receiver's decoder, the mapping core and run assembly.
 */
export function capturingSdk(opts: DunetraceOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const log = recordingLogger();
  const dt = new Dunetrace({ spanExporter: exporter, tracerProvider: 'own', flushOnExit: false, logger: log.logger, env: {}, flushIntervalMs: 0, ...opts });
  const spans = async (): Promise<ReadableSpan[]> => {
    await dt.flush();
    return exporter.getFinishedSpans();
  };
  const runs = async (): Promise<Map<string, AssembledRun & { spans: MappedSpan[] }>> => {
    const mapped = throughWire(await spans()).map((s) => mapSpan(s, { hasher }));
    const byTrace = new Map<string, MappedSpan[]>();
    for (const m of mapped) byTrace.set(m.trace_id, [...(byTrace.get(m.trace_id) ?? []), m]);
    const out = new Map<string, AssembledRun & { spans: MappedSpan[] }>();
    for (const [runId, list] of byTrace) {
      const root = list.find((s) => s.parent_span_id === null);
      const run = assembleRun(
        list.map((span) => ({ span })),
        { runId, agentId: root?.agent_id ?? 'unknown', status: 'completed' },
      );
      out.set(runId, { ...run, spans: list });
    }
    return out;
  };
  const run = async (runId: string) => {
    const r = (await runs()).get(runId);
    if (r === undefined) throw new Error(`run ${runId} was not exported`);
    return r;
  };
  return { dt, exporter, spans, runs, run, log: log.lines };
}

/** An event list in the original SDK's vocabulary: type plus the named payload fields. */
export function eventsOf(run: { events: RunEvent[] }, fields: Partial<Record<RunEvent['event_type'], string[]>> = {}) {
  return run.events.map((e) => {
    const keys = fields[e.event_type] ?? [];
    const payload = e.payload as unknown as Record<string, unknown>;
    return keys.length === 0 ? e.event_type : [e.event_type, Object.fromEntries(keys.map((k) => [k, payload[k]]))];
  });
}

export const sha = (text: string) => hasher.digest(text);
