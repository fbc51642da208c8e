import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { createHasher, isContentAttribute, isContentEventAttribute, mapSpan } from '../../src/mapping/index.js';
import { failedToolNames, nameFailedTools } from '../../src/mapping/dialects/index.js';
import { decodeExport } from '../../src/otlp/index.js';
import type { Attributes, OtlpSpan } from '../../src/otlp/model.js';

/**
 * What each supported emitter sends that the mapping core silently ignores (docs/support-matrix.md, "What each emitter
 * sends that we still ignore"). Every attribute read of the mapping is observed through a Proxy over the span's
 * attributes (and over each event's attributes); a key the mapping never reads, and that is not a content key
 * (hashed whole by redaction), is ignored. The expected lists below are the documented ones: a mapping change that
 * starts reading a key, or an emitter capture that adds one, fails here until the doc says so.
 */

// Reads are recorded only while `on` (the dialect view copies every key of the span: not a read of its meaning), and
// only of keys the emitter sent (`sent`: a key a dialect derived is not the emitter's).
const rec = vi.hoisted(() => ({ on: true, keys: null as Set<string> | null }));
const track = vi.hoisted(
  () =>
    <T extends object>(target: T, into: () => Set<string> | null, sent: object = target): T =>
      new Proxy(target, {
        get(t, k, r) {
          const s = into();
          if (rec.on && s !== null && typeof k === 'string' && Object.hasOwn(sent, k)) s.add(k);
          return Reflect.get(t, k, r) as unknown;
        },
        has(t, k) {
          const s = into();
          if (rec.on && s !== null && typeof k === 'string' && Object.hasOwn(sent, k)) s.add(k);
          return Reflect.has(t, k);
        },
      }),
);

vi.mock('../../src/mapping/dialects/index.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/mapping/dialects/index.js')>();
  return {
    ...orig,
    withDialect(name: string, attrs: Attributes): Attributes {
      orig.readDialect(name, attrs); // what the dialect reads (it is pure: reading twice changes nothing)
      rec.on = false;
      const view = orig.withDialect(name, attrs);
      rec.on = true;
      return view === attrs ? attrs : track(view, () => rec.keys, attrs);
    },
  };
});

const hasher = createHasher();

function load(path: string): OtlpSpan[] {
  const decoded = decodeExport(readFileSync(new URL(`../fixtures/${path}.json`, import.meta.url)), 'json');
  expect(decoded.rejectedSpans).toBe(0);
  return decoded.spans;
}

interface Unread {
  /** Keys no span of the capture has read, that are not content: silently ignored. */
  ignored: string[];
  /** Content keys no span has read: hashed whole by redaction, no fact drawn from them. */
  hashedOnly: string[];
}

/**
 * What the mapping never reads in an export, as the receiver maps it (failed LangChain tools named over the export
 * first: pipeline/prepare-units.ts). Event attribute keys are `event:<name> <key>`, an event never read `event:<name>`.
 */
function unread(spans: OtlpSpan[]): Unread {
  const readAny = new Set<string>();
  const eventReadAny = new Set<string>();
  const wrapped = spans.map((s): OtlpSpan => ({
    ...s,
    attributes: track(s.attributes, () => readAny),
    events: s.events.map((e) => ({ ...e, attributes: track(e.attributes, () => (rec.keys === null ? null : eventReadAny)) })),
  }));
  rec.keys = readAny;
  failedToolNames(wrapped, (s) => ({ traceId: s.traceId, start: s.startTimeUnixNano, end: s.endTimeUnixNano, attributes: s.attributes }));
  rec.on = false;
  const named = nameFailedTools(spans); // copies every key of the spans it names: not a read
  rec.on = true;
  for (let i = 0; i < spans.length; i++) {
    mapSpan(named[i] === spans[i] ? wrapped[i] : { ...wrapped[i], attributes: track(named[i].attributes, () => readAny, spans[i].attributes) }, { hasher });
  }
  rec.keys = null;

  const ignored = new Set<string>();
  const hashedOnly = new Set<string>();
  for (const s of spans) {
    for (const k in s.attributes) {
      if (readAny.has(k)) continue;
      (isContentAttribute(k) ? hashedOnly : ignored).add(k);
    }
    for (const e of s.events) {
      const keys = Object.keys(e.attributes);
      if (e.name !== 'exception' && !keys.some((k) => eventReadAny.has(k))) ignored.add(`event:${e.name}`);
      else for (const k of keys) if (!eventReadAny.has(k) && !isContentEventAttribute(e.name, k)) ignored.add(`event:${e.name} ${k}`);
    }
  }
  return { ignored: [...ignored].sort(), hashedOnly: [...hashedOnly].sort() };
}

/** Every capture of a supported emitter: a new one must be documented. */
const CAPTURES = [
  'framework-captures/vercel-ai6',
  'framework-captures/vercel-ai5',
  'framework-captures/genkit',
  'framework-captures/langchain-openllmetry',
  'framework-captures/langchain-openinference',
  'framework-captures/openai-openinference',
  'framework-captures/openai-otel',
  'framework-captures/anthropic-openllmetry',
  'python-captures/openai-agents-openinference',
  'python-captures/langgraph-openinference',
  'emitter-captures/traceloop-python',
  'emitter-captures/openlit-python',
  'emitter-captures/otel-contrib-python',
];

/** docs/support-matrix.md, "What each emitter sends that we still ignore": keep both in step. */
const DOCUMENTED: Record<string, Unread> = {
  'framework-captures/vercel-ai6': {
    ignored: [
      'ai.prompt.toolChoice',
      'ai.response.id',
      'ai.response.timestamp',
      'ai.settings.maxRetries',
      'ai.usage.inputTokenDetails.noCacheTokens',
      'ai.usage.outputTokenDetails.textTokens',
      'gen_ai.response.id',
      'gen_ai.system',
      'operation.name',
      'resource.name',
    ],
    hashedOnly: ['ai.request.headers.user-agent', 'ai.telemetry.metadata.tenant'],
  },
  'framework-captures/vercel-ai5': {
    ignored: [
      'ai.prompt.toolChoice',
      'ai.response.id',
      'ai.response.timestamp',
      'ai.settings.maxRetries',
      'gen_ai.response.id',
      'gen_ai.system',
      'operation.name',
      'resource.name',
    ],
    hashedOnly: ['ai.request.headers.user-agent', 'ai.telemetry.metadata.tenant'],
  },
  'framework-captures/genkit': { ignored: ['genkit:isFailureSource', 'genkit:isRoot', 'genkit:key'], hashedOnly: [] },
  'framework-captures/langchain-openllmetry': { ignored: ['traceloop.entity.name', 'traceloop.entity.path'], hashedOnly: [] },
  'framework-captures/langchain-openinference': { ignored: ['input.mime_type', 'output.mime_type'], hashedOnly: ['llm.invocation_parameters', 'metadata'] },
  'framework-captures/openai-openinference': { ignored: ['input.mime_type', 'output.mime_type'], hashedOnly: ['llm.invocation_parameters'] },
  'framework-captures/openai-otel': {
    ignored: ['event:exception exception.type', 'gen_ai.provider.name', 'gen_ai.response.id', 'server.address', 'server.port'],
    hashedOnly: [],
  },
  'framework-captures/anthropic-openllmetry': {
    ignored: [
      'gen_ai.response.id',
      'http.request.method',
      'http.route',
      'server.address',
      'server.port',
      'traceloop.entity.path',
      'traceloop.workflow.name',
      'url.full',
      'url.path',
      'url.scheme',
    ],
    hashedOnly: [],
  },
  'python-captures/openai-agents-openinference': { ignored: ['graph.node.id', 'graph.node.parent_id', 'input.mime_type'], hashedOnly: ['tool.description'] },
  'python-captures/langgraph-openinference': { ignored: [], hashedOnly: ['metadata'] },
  'emitter-captures/traceloop-python': {
    ignored: ['gen_ai.is_streaming', 'gen_ai.openai.api_base', 'gen_ai.request.temperature', 'gen_ai.response.id'],
    hashedOnly: [],
  },
  'emitter-captures/openlit-python': {
    ignored: ['deployment.environment', 'gen_ai.request.stream', 'gen_ai.sdk.version', 'server.address', 'server.port', 'service.name', 'telemetry.sdk.name'],
    hashedOnly: [],
  },
  'emitter-captures/otel-contrib-python': { ignored: ['gen_ai.request.temperature', 'gen_ai.response.id', 'server.address'], hashedOnly: [] },
};

describe('what each emitter sends that the mapping ignores', () => {
  it('every capture is documented', () => {
    const onDisk = ['framework-captures', 'python-captures', 'emitter-captures'].flatMap((dir) =>
      readdirSync(new URL(`../fixtures/${dir}/`, import.meta.url))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `${dir}/${f.slice(0, -'.json'.length)}`),
    );
    expect(Object.keys(DOCUMENTED).sort()).toEqual(onDisk.sort());
    expect([...CAPTURES].sort()).toEqual(onDisk.sort());
  });

  it.each(CAPTURES)('%s: exactly the documented keys', (c) => {
    expect(unread(load(c))).toEqual(DOCUMENTED[c]);
  });

  it('sees a key nobody reads, and does not report one the mapping reads', () => {
    const spans = load('framework-captures/openai-otel');
    const probe = spans.map((s, i) => (i === 0 ? { ...s, attributes: { ...s.attributes, 'x.nobody.reads': 1 } } : s));
    const { ignored } = unread(probe);
    expect(ignored).toContain('x.nobody.reads');
    expect(ignored).not.toContain('gen_ai.usage.input_tokens');
    expect(ignored).not.toContain('gen_ai.tool.name');
  });
});
