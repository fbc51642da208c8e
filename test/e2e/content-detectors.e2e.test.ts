/**
 * The four content-aware detectors end to end, through the two ways content reaches Dunetrace: the OTLP zero-change
 * path (raw content attributes posted to the receiver, facts computed there before hashing) and the SpanProcessor
 * path (facts computed in the agent's process, only digests and facts exported). One agent run holds all four
 * failures; both paths must give the same verdicts. Every prompt, reply, tool argument, result and error carries a
 * canary that must reach neither the wire (processor path), the API, the receiver's log, nor any byte of its database.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { expectNoCanaryAtRest } from '../helpers/privacy.js';
import { DEV_KEY, waitForClosedRun } from '../helpers/receiver.js';
import { receiverBehindProxy } from './receiver-behind-proxy.js';

const CANARY = /CANARY_CF_[a-z]+/;
const c = (what: string) => `CANARY_CF_${what}`;
const j = (v: unknown) => JSON.stringify(v);

/**
 * The user asks to book a table and mail the confirmation. The agent deletes an order nobody named (99812), the
 * booking tool fails, the agent mails an address nobody gave and answers "booked … sent". (The deletion comes first:
 * after a failed call with no result the original stops judging arguments, and so do we.)
 */
function emitAgent(tracer: Tracer): string {
  const t0 = Date.now() - 20_000;
  const at = (ms: number) => new Date(t0 + ms);
  const input = `Book a table for two at 7pm and mail me the confirmation ${c('input')}`;
  const root = tracer.startSpan(
    'concierge.workflow',
    {
      startTime: at(0),
      attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'concierge', 'traceloop.entity.input': j({ args: [input], kwargs: {} }) },
    },
    ROOT_CONTEXT,
  );
  const ctx = trace.setSpan(context.active(), root);
  const chat = (start: number, reply: string, finish: string) => {
    const s = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: at(start),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 120,
          'gen_ai.usage.output_tokens': 20,
          'gen_ai.response.finish_reasons': [finish],
          'gen_ai.system_instructions': j([{ type: 'text', content: `You are a concierge ${c('system')}` }]),
          'gen_ai.input.messages': j([{ role: 'user', parts: [{ type: 'text', content: input }] }]),
          'gen_ai.output.messages': j([{ role: 'assistant', finish_reason: finish, parts: [{ type: 'text', content: reply }] }]),
        },
      },
      ctx,
    );
    s.end(at(start + 300));
  };
  const tool = (start: number, name: string, args: unknown, result: string | null, error: string | null) => {
    const s = tracer.startSpan(
      `execute_tool ${name}`,
      {
        startTime: at(start),
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': name,
          'gen_ai.tool.call.arguments': j(args),
          ...(result !== null ? { 'gen_ai.tool.call.result': result } : {}),
        },
      },
      ctx,
    );
    if (error !== null) {
      s.recordException({ name: 'ServiceUnavailable', message: error });
      s.setStatus({ code: SpanStatusCode.ERROR, message: error });
    }
    s.end(at(start + 100));
  };
  chat(10, `Let me do that ${c('reply1')}`, 'tool_calls');
  // Argument canaries repeat the input's: an identifier-shaped token of its own would be an invented argument.
  tool(400, 'delete_order', { order_id: 'ORD-99812', note: c('input') }, j({ ok: true, note: c('result2') }), null);
  tool(600, 'book_table', { party: 2, time: '7pm', note: c('input') }, null, `booking service unavailable ${c('failmsg')}`);
  tool(800, 'send_email', { to: 'ceo@rival-corp.example', body: c('input') }, `queued ${c('result3')}`, null);
  chat(1000, `Your table is booked for 7pm and the confirmation was sent ${c('reply2')}`, 'stop');
  root.end(at(1400));
  return root.spanContext().traceId;
}

const NEW = ['PREMATURE_TERMINATION', 'UNREAD_TOOL_ERROR', 'TOOL_ARGUMENT_FABRICATION', 'UNGROUNDED_DESTINATION'];

const setup = receiverBehindProxy();

interface StoredSignal {
  failure_type: string;
  severity: string;
  confidence: number;
  step_index: number;
  evidence: Record<string, unknown>;
}

describe('content-aware detectors: OTLP zero-change path ≡ SpanProcessor path, no canary anywhere', () => {
  it('all four fire on both paths with the same verdicts', async () => {
    const processor = new DunetraceSpanProcessor({ endpoint: setup.proxy.url, apiKey: DEV_KEY, scheduledDelayMillis: 50, env: {} });
    const viaProcessor = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'concierge' }), spanProcessors: [processor] });
    const raw = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'concierge' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${setup.rec.url}/v1/traces`, headers: { authorization: `Bearer ${DEV_KEY}` } }))],
    });
    const traceP = emitAgent(viaProcessor.getTracer('agent'));
    const traceR = emitAgent(raw.getTracer('agent'));
    await Promise.all([viaProcessor.forceFlush(), raw.forceFlush()]);
    const [runP, runR] = await Promise.all([waitForClosedRun(setup.rec.url, traceP), waitForClosedRun(setup.rec.url, traceR)]);
    await Promise.all([viaProcessor.shutdown(), raw.shutdown()]);

    const verdicts = (run: { signals: StoredSignal[] }) =>
      run.signals
        .filter((s) => NEW.includes(s.failure_type))
        .map((s) => {
          // Keyed digests differ by run (per-run keys): compare their shape, not their value.
          const ev = Object.fromEntries(
            Object.entries(s.evidence).map(([k, v]) => [k, k.endsWith('_digest') ? typeof v === 'string' && /^[0-9a-f]{16}$/.test(v) : v]),
          );
          return { failure_type: s.failure_type, severity: s.severity, confidence: s.confidence, step_index: s.step_index, evidence: ev };
        })
        .sort((a, b) => a.failure_type.localeCompare(b.failure_type));
    const vP = verdicts(runP);
    expect(vP.map((v) => v.failure_type)).toEqual([...NEW].sort());
    expect(verdicts(runR)).toEqual(vP);
    const by = Object.fromEntries(vP.map((v) => [v.failure_type, v]));
    expect(by.PREMATURE_TERMINATION).toMatchObject({
      severity: 'CRITICAL',
      step_index: 5,
      evidence: {
        failed_tool: 'book_table',
        failed_tool_step: 3,
        matched_completion_term: 'booked',
        matched_error_marker: 'unavailable',
        is_final_message: true,
      },
    });
    expect(by.UNREAD_TOOL_ERROR).toMatchObject({ evidence: { failed_tool: 'book_table', next_action_type: 'tool_call', next_action_step: 4 } });
    expect(by.TOOL_ARGUMENT_FABRICATION).toMatchObject({
      severity: 'CRITICAL',
      evidence: { tool_name: 'delete_order', entity_type: 'int', fabricated_entity_digest: true },
    });
    expect(by.UNGROUNDED_DESTINATION).toMatchObject({
      confidence: 0.55,
      evidence: { tool_name: 'send_email', destination_type: 'email', destination_digest: true, output_visibility: 'partial' },
    });

    // Nothing raw crossed the processor's wire; nothing raw in the API answers.
    expect(setup.proxy.hits.length).toBeGreaterThan(0);
    for (const hit of setup.proxy.hits) expect(hit.body.toString('latin1')).not.toMatch(CANARY);
    expect(JSON.stringify(runP)).not.toMatch(CANARY);
    expect(JSON.stringify(runR)).not.toMatch(CANARY);
    const explained = await fetch(`${setup.rec.url}/v1/runs/${runR.run_id ?? traceR}`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
    expect(await explained.text()).not.toMatch(CANARY);

    // Nothing raw in the receiver's log or at rest.
    setup.rec.child.kill('SIGTERM');
    await setup.rec.exited;
    const logs = setup.rec.output();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(CANARY);
    const swept = await expectNoCanaryAtRest(setup.data.dir, CANARY);
    expect(swept.rows).toBeGreaterThan(10);
  }, 180_000);
});
