import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CONTENT_ATTRIBUTE_KEYS, isContentAttribute, isContentEventAttribute } from '../../src/mapping/index.js';
import type { Attributes } from '../../src/otlp/model.js';
import { DEV_KEY, startReceiver, waitForClosedRun } from '../helpers/receiver.js';
import { newTraceId } from '../helpers/scenarios.js';
import { CANARY, DIALECT_FIXTURES } from '../mapping/fixtures.js';
import { emitFixture, providerWith } from './helpers.js';

/**
 * collector-config.yaml: parses, has the pipeline the docs describe, and its transform statements redact every
 * content attribute the mapping core knows. No OpenTelemetry Collector binary can be installed on this machine
 * (neither Debian nor npm packages one), so the statements are checked by applying them — the two statement shapes
 * the file uses, `set(attributes["K"], SHA256(attributes["K"]))` and `delete_matching_keys(attributes, "RE")` — to
 * the canary-laden dialect fixtures. When an `otelcol-contrib` binary is on PATH, the last test runs it for real.
 */
const raw = readFileSync(new URL('../../collector-config.yaml', import.meta.url), 'utf8');
const config = YAML.parse(raw);
const transform = config.processors['transform/dunetrace_redact'];
const statementsFor = (ctx: string): string[] =>
  transform.trace_statements.filter((s: { context: string }) => s.context === ctx).flatMap((s: { statements: string[] }) => s.statements);

interface Rules {
  hashed: Set<string>;
  deleted: RegExp[];
}

function rules(ctx: string): Rules {
  const hashed = new Set<string>();
  const deleted: RegExp[] = [];
  for (const st of statementsFor(ctx)) {
    const set = /^set\(attributes\["([^"]+)"\], SHA256\(attributes\["\1"\]\)\) where /.exec(st);
    if (set) hashed.add(set[1]);
    const del = /^delete_matching_keys\(attributes, "(.+)"\)$/.exec(st);
    if (del) deleted.push(new RegExp(del[1]));
  }
  return { hashed, deleted };
}

/** What the collector does to one attribute map: hashed keys get a 64-hex stand-in, deleted keys go. */
function apply(r: Rules, attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (r.deleted.some((re) => re.test(k))) continue;
    out[k] = r.hashed.has(k) ? 'f'.repeat(64) : v;
  }
  return out;
}

describe('collector-config.yaml', () => {
  it('parses and wires otlp → memory_limiter → batch → transform → otlphttp to our receiver', () => {
    expect(config.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } });
    expect(config.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'batch', 'transform/dunetrace_redact'],
      exporters: ['otlphttp/dunetrace'],
    });
    const exp = config.exporters['otlphttp/dunetrace'];
    expect(exp.endpoint).toBe('${env:DUNETRACE_ENDPOINT}');
    expect(exp.headers).toEqual({ Authorization: 'Bearer ${env:DUNETRACE_API_KEY}' });
    expect(exp.compression).toBe('gzip');
    expect(exp.retry_on_failure.enabled).toBe(true);
    expect(exp.sending_queue.enabled).toBe(true);
    // The limiter refuses before the collector runs out of memory: a real limit, and spikes below it.
    const limiter = config.processors.memory_limiter;
    expect(limiter.check_interval).toMatch(/^\d+(ms|s)$/);
    expect(limiter.limit_percentage).toBeGreaterThan(0);
    expect(limiter.limit_percentage).toBeLessThanOrEqual(100);
    expect(limiter.spike_limit_percentage).toBeGreaterThan(0);
    expect(limiter.spike_limit_percentage).toBeLessThan(limiter.limit_percentage);
    // Batches leave within a second (alerts follow runs as they end), capped above the usual batch size.
    const batch = config.processors.batch;
    const ms = /^(\d+)(ms|s)$/.exec(batch.timeout);
    expect(ms, `batch.timeout ${batch.timeout}`).not.toBeNull();
    expect(Number(ms![1]) * (ms![2] === 's' ? 1000 : 1)).toBeLessThanOrEqual(1000);
    expect(batch.send_batch_size).toBeGreaterThan(0);
    expect(batch.send_batch_max_size).toBeGreaterThanOrEqual(batch.send_batch_size);
    for (const st of [...statementsFor('span'), ...statementsFor('spanevent')]) expect(st).toMatch(/^(set|delete_matching_keys)\(/);
  });

  it('documents, commented, the loadbalancing exporter routing by traceID', () => {
    const commented = raw
      .split('\n')
      .filter((l) => /^\s*#/.test(l))
      .map((l) => l.replace(/^(\s*)# ?/, '$1'))
      .join('\n');
    expect(commented).toMatch(/loadbalancing\/dunetrace:\s*\n\s*routing_key: traceID/);
    expect(raw).toMatch(/all spans of a run|every span of a run/i);
  });

  it('hashes every content attribute key of the mapping core', () => {
    const span = rules('span');
    const event = rules('spanevent');
    const missing = [...CONTENT_ATTRIBUTE_KEYS].filter((k) => !span.hashed.has(k) && !event.hashed.has(k));
    expect(missing).toEqual([]);
  });

  it('applied to every dialect fixture: no canary is left, and no non-content attribute is touched', () => {
    const span = rules('span');
    const event = rules('spanevent');
    for (const [name, f] of Object.entries(DIALECT_FIXTURES)) {
      const attrs = apply(span, f.attributes);
      for (const [k, v] of Object.entries(f.attributes)) {
        if (!isContentAttribute(k)) expect(attrs[k], `${name}: ${k} must pass unchanged`).toEqual(v);
      }
      const events = f.events.map((e) => ({
        name: e.name,
        attributes: apply({ hashed: new Set([...event.hashed].filter((k) => isContentEventAttribute(e.name, k))), deleted: event.deleted }, e.attributes),
      }));
      const left = JSON.stringify({ attrs, events, status: f.status.message ? 'hashed' : '' });
      expect(left, name).not.toContain(CANARY);
    }
  });

  const collector = spawnSync('sh', ['-c', 'command -v otelcol-contrib'], { encoding: 'utf8' }).stdout.trim();
  it.skipIf(collector === '')('runs between an exporter and a receiver (needs otelcol-contrib on PATH)', async () => {
    const r = await startReceiver();
    const proc = spawn(collector, ['--config', 'collector-config.yaml'], {
      env: { ...process.env, DUNETRACE_ENDPOINT: r.url, DUNETRACE_API_KEY: DEV_KEY },
      stdio: 'ignore',
    });
    try {
      await new Promise((res) => setTimeout(res, 3000));
      const provider = providerWith(new BatchSpanProcessor(new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces' })));
      const traceId = newTraceId();
      emitFixture(provider.getTracer('t'), { ...DIALECT_FIXTURES.openllmetryWorkflowRoot, traceId });
      await provider.forceFlush();
      const run = await waitForClosedRun(r.url, traceId);
      expect(JSON.stringify(run)).not.toContain(CANARY);
      await provider.shutdown();
    } finally {
      proc.kill();
      await r.close();
    }
  });
});
