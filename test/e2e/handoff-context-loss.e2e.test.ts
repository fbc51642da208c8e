/**
 * HANDOFF_CONTEXT_LOSS end to end within one trace: a workflow looks an order up, then hands a bare summary to a
 * nested `invoke_agent` span. Sent both ways content reaches Dunetrace — the OTLP zero-change path (raw attributes,
 * facts computed in the receiver) and the SpanProcessor (facts computed in the agent's process) — the verdicts agree.
 * Every text carries a canary that must reach neither the processor's wire, the API, the log nor the database.
 */
import { context, ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { expectNoCanaryAtRest } from '../helpers/privacy.js';
import { DEV_KEY, waitForClosedRun } from '../helpers/receiver.js';
import { receiverBehindProxy } from './receiver-behind-proxy.js';

const CANARY = /CANARY_HO_[a-z]+/;
const c = (what: string) => `CANARY_HO_${what}`;
const j = (v: unknown) => JSON.stringify(v);

const INPUT = `Refund order 48213 for jane@example.com, she was charged twice ${c('input')}`;
/** The root's input as Traceloop captures it (the call's arguments as JSON): that whole text is the run's input. */
const ROOT_INPUT = j({ args: [INPUT], kwargs: {} });
const LOOKUP = j({ order: 48213, customer_id: 'c0ffee00-a1b2-4abc-9def-0123456789ab', amount: 129.5, note: c('result') });
const HANDED = `Please process the refund ${c('handed')}`;

function emitAgent(tracer: Tracer): string {
  const t0 = Date.now() - 20_000;
  const at = (ms: number) => new Date(t0 + ms);
  const root = tracer.startSpan(
    'support.workflow',
    {
      startTime: at(0),
      attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'support', 'traceloop.entity.input': ROOT_INPUT },
    },
    ROOT_CONTEXT,
  );
  const ctx = trace.setSpan(context.active(), root);
  const lookup = tracer.startSpan(
    'execute_tool lookup_order',
    {
      startTime: at(10),
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'lookup_order',
        'gen_ai.tool.call.arguments': j({ order: 48213 }),
        'gen_ai.tool.call.result': LOOKUP,
      },
    },
    ctx,
  );
  lookup.end(at(110));
  // The hand-off: a nested agent span whose input is a bare summary.
  const sub = tracer.startSpan(
    'invoke_agent refunds',
    {
      kind: SpanKind.INTERNAL,
      startTime: at(200),
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': 'refunds',
        'gen_ai.input.messages': j([{ role: 'user', parts: [{ type: 'text', content: HANDED }] }]),
      },
    },
    ctx,
  );
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: at(210),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 40,
        'gen_ai.usage.output_tokens': 12,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.input.messages': j([{ role: 'user', parts: [{ type: 'text', content: HANDED }] }]),
        'gen_ai.output.messages': j([{ role: 'assistant', finish_reason: 'stop', parts: [{ type: 'text', content: `Which order? ${c('reply')}` }] }]),
      },
    },
    trace.setSpan(ctx, sub),
  );
  chat.end(at(500));
  sub.end(at(520));
  root.end(at(600));
  return root.spanContext().traceId;
}

const setup = receiverBehindProxy();

interface StoredSignal {
  failure_type: string;
  severity: string;
  confidence: number;
  step_index: number;
  evidence: Record<string, unknown>;
}

const cp = (s: string): number => [...s].length;

describe('HANDOFF_CONTEXT_LOSS: OTLP zero-change path ≡ SpanProcessor path, no canary anywhere', () => {
  it('a nested agent handed a bare summary fires on both paths with the same verdict', async () => {
    const processor = new DunetraceSpanProcessor({ endpoint: setup.proxy.url, apiKey: DEV_KEY, scheduledDelayMillis: 50, env: {} });
    const viaProcessor = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'support' }), spanProcessors: [processor] });
    const raw = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'support' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${setup.rec.url}/v1/traces`, headers: { authorization: `Bearer ${DEV_KEY}` } }))],
    });
    const traceP = emitAgent(viaProcessor.getTracer('agent'));
    const traceR = emitAgent(raw.getTracer('agent'));
    await Promise.all([viaProcessor.forceFlush(), raw.forceFlush()]);
    const [runP, runR] = await Promise.all([waitForClosedRun(setup.rec.url, traceP), waitForClosedRun(setup.rec.url, traceR)]);
    await Promise.all([viaProcessor.shutdown(), raw.shutdown()]);

    const verdict = (run: { signals: StoredSignal[] }) => {
      const s = run.signals.find((x) => x.failure_type === 'HANDOFF_CONTEXT_LOSS');
      if (!s) return null;
      // Keyed digests differ by run (per-run keys): compare their shape, not their value.
      const digests = s.evidence.missing_entity_digests;
      return {
        failure_type: s.failure_type,
        severity: s.severity,
        confidence: s.confidence,
        step_index: s.step_index,
        evidence: { ...s.evidence, missing_entity_digests: Array.isArray(digests) && digests.every((d) => typeof d === 'string' && /^[0-9a-f]{16}$/.test(d)) },
      };
    };
    const vP = verdict(runP);
    expect(vP).toMatchObject({
      severity: 'HIGH',
      // An agent span takes no step: the hand-off shares the lookup's step (1).
      step_index: 1,
      // jane@example.com, 48213, the UUID, 129 (not 129.5's "5") are missing from the hand-off: min(1, 0.5 + 0.15·4).
      confidence: 1,
      evidence: {
        child_agent: 'refunds',
        parent_context_length: cp(ROOT_INPUT) + 1 + cp(LOOKUP),
        child_input_length: cp(HANDED),
        missing_entity_count: 4,
        missing_entity_digests: true,
      },
    });
    expect(verdict(runR)).toEqual(vP);

    // Nothing raw crossed the processor's wire; nothing raw in the API answers.
    expect(setup.proxy.hits.length).toBeGreaterThan(0);
    for (const hit of setup.proxy.hits) expect(hit.body.toString('latin1')).not.toMatch(CANARY);
    expect(JSON.stringify(runP)).not.toMatch(CANARY);
    expect(JSON.stringify(runR)).not.toMatch(CANARY);
    for (const id of [traceP, traceR]) {
      const explained = await fetch(`${setup.rec.url}/v1/runs/${id}`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
      expect(await explained.text()).not.toMatch(CANARY);
    }

    // Nothing raw in the receiver's log or at rest.
    setup.rec.child.kill('SIGTERM');
    await setup.rec.exited;
    const logs = setup.rec.output();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(CANARY);
    const swept = await expectNoCanaryAtRest(setup.data.dir, CANARY);
    expect(swept.rows).toBeGreaterThan(5);
  }, 180_000);
});
