import { FAILURE_TYPES, SEVERITIES } from '../../detectors/index.js';
import { INGEST_TOP_NAMES, INGEST_WINDOW_RUNS } from '../../model/index.js';
import { DEFAULT_LIMIT, MAX_LIMIT, RUN_STATUSES } from './params.js';
import { sseSettings } from './sse.js';

/** GET /openapi.json: a hand-written OpenAPI 3.1 description of every route the receiver serves. */

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string, extra: Json = {}) => ({ type: [type, 'null'], ...extra });

const query = (name: string, description: string, schema: Json, extra: Json = {}) => ({ name, in: 'query', required: false, description, schema, ...extra });

const LIMIT = query('limit', `Page size, ${1}–${MAX_LIMIT} (default ${DEFAULT_LIMIT}). 0 or more than ${MAX_LIMIT} is a 400.`, {
  type: 'integer',
  minimum: 1,
  maximum: MAX_LIMIT,
  default: DEFAULT_LIMIT,
});
const OFFSET = query('offset', 'Rows to skip (default 0). Past the end: an empty page with has_more false.', { type: 'integer', minimum: 0, default: 0 });
const SEVERITY = query('severity', 'Exactly this severity (as the original Dunetrace API). Case-insensitive.', {
  type: 'string',
  enum: [...SEVERITIES],
});
const MIN_SEVERITY = query('min_severity', 'This severity and above: HIGH returns HIGH and CRITICAL; LOW returns all. Case-insensitive.', {
  type: 'string',
  enum: [...SEVERITIES],
});
const FAILURE_TYPE = query('failure_type', 'One failure type, or several separated by commas (any matches). Case-insensitive.', {
  type: 'string',
  examples: ['TOOL_LOOP', 'TOOL_LOOP,RETRY_STORM'],
});
const SINCE = query(
  'since',
  'Only signals detected at or after this time: an ISO-8601 time (2025-01-31T12:00:00Z) or a duration back from now: <n>s, <n>m, <n>h, <n>d, <n>w (e.g. 30m, 1h, 7d).',
  { type: 'string', examples: ['1h', '2025-01-31T12:00:00Z'] },
);
const INCLUDE_SHADOW = query('include_shadow', 'Include shadow signals (stored and shown, never alerted). Default false.', { type: 'boolean', default: false });
const AGENT_PATH = {
  name: 'agent_id',
  in: 'path',
  required: true,
  description: 'Agent id (URL-encoded), up to 256 characters.',
  schema: { type: 'string', minLength: 1, maxLength: 100 },
};
const AGENT_QUERY = query('agent', 'Only this agent.', { type: 'string', minLength: 1, maxLength: 256 });
const HAS_SIGNALS = query('has_signals', 'true: only runs with signals; false: only runs without (shadow signals count only with include_shadow=true).', {
  type: 'boolean',
});
const STATUS = query('status', 'Only runs in this status.', { type: 'string', enum: [...RUN_STATUSES] });
const INCLUDE_SHADOW_RUNS = query('include_shadow', 'Count shadow signals in signal_count/has_signals. Default false.', { type: 'boolean', default: false });

const errors = {
  '400': {
    description: 'Bad parameter: the message and `parameter` name it. Unknown parameters are refused too.',
    content: { 'application/json': { schema: ref('BadRequest') } },
  },
  '401': { description: 'Missing, unknown or revoked API key.', content: { 'application/json': { schema: ref('Error') } } },
  '503': { description: 'Database not ready or unreachable; retry (Retry-After).', content: { 'application/json': { schema: ref('Error') } } },
};

const json = (schema: Json, description = 'OK') => ({ '200': { description, content: { 'application/json': { schema } } }, ...errors });
const list = (key: string, item: string) => ({
  type: 'object',
  required: [key, 'page'],
  properties: { [key]: { type: 'array', items: ref(item) }, page: ref('Page') },
});

const explanation = {
  type: 'object',
  required: ['title', 'what', 'why_it_matters', 'evidence_summary', 'suggested_fixes'],
  properties: {
    title: { type: 'string' },
    what: { type: 'string' },
    why_it_matters: { type: 'string' },
    evidence_summary: { type: 'string', description: 'One "key: value" line per evidence field.' },
    suggested_fixes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['description'],
        properties: { description: { type: 'string' }, language: { type: 'string' }, code: { type: 'string' } },
      },
    },
  },
};

const signal = {
  type: 'object',
  required: [
    'id',
    'run_id',
    'agent_id',
    'agent_version',
    'failure_type',
    'severity',
    'confidence',
    'step_index',
    'evidence',
    'shadow',
    'detected_live',
    'detected_at',
    'explanation',
  ],
  properties: {
    id: { type: 'integer', description: 'Increases with storage order; the SSE event id.' },
    run_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    agent_id: { type: 'string' },
    agent_version: nullable('string'),
    failure_type: { type: 'string', enum: [...FAILURE_TYPES] },
    severity: { type: 'string', enum: [...SEVERITIES] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    step_index: { type: 'integer' },
    evidence: { type: 'object', description: 'Content-free facts (counts, step numbers, names, hashes).', additionalProperties: true },
    shadow: { type: 'boolean', description: 'Shadow signals are stored and shown but never alerted.' },
    detected_live: { type: 'boolean', description: 'Found while the run was still open.' },
    detected_at: { type: 'string', format: 'date-time' },
    explanation: ref('Explanation'),
  },
};

const runSummary = {
  type: 'object',
  required: [
    'run_id',
    'agent_id',
    'agent_version',
    'status',
    'exit_reason',
    'started_at',
    'ended_at',
    'step_count',
    'span_count',
    'signal_count',
    'has_signals',
  ],
  properties: {
    run_id: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'The trace id.' },
    agent_id: { type: 'string' },
    agent_version: nullable('string'),
    status: { type: 'string', enum: [...RUN_STATUSES] },
    exit_reason: nullable('string', { enum: ['final_answer', 'completed', 'error', 'stalled', null] }),
    started_at: nullable('number', { description: 'Span time, unix seconds (µs precision); for an open run its earliest span so far.' }),
    ended_at: nullable('number', { description: 'Span time, unix seconds; null while open.' }),
    step_count: { type: 'integer', description: 'Set when the run closes (0 while open; GET /v1/runs/{run_id} shows the live count).' },
    span_count: { type: 'integer' },
    signal_count: { type: 'integer', description: 'Non-shadow signals unless include_shadow=true.' },
    has_signals: { type: 'boolean' },
  },
};

const count = (description: string) => ({ type: 'integer', minimum: 0, description });

/** AgentIngestSummary (src/model/ingest-health.ts). */
const ingestSummaryProperties = {
  runs_checked: count(`Completed runs looked at: the agent's newest ${INGEST_WINDOW_RUNS} at most.`),
  runs_with_gaps: count('Of them, runs whose telemetry carried anything not understood.'),
  unclassified_spans: count('Spans no known vocabulary classified: stored as structure, seen by no detector.'),
  runs_llm_without_tokens: count('Runs with LLM calls, none of which carried token counts.'),
  runs_without_steps: count('Runs with spans but not one recognised LLM or tool call.'),
  unnamed_tool_calls: count('Tool calls whose span never says the tool name.'),
  broken_parents: count('Spans naming a parent span that was never received in their run.'),
  step_root_runs: count('Runs whose root is a single LLM or tool call (the agent invocation is not a span).'),
};
const ingestSummary = {
  type: 'object',
  description: 'What the telemetry carried that was not understood ("accepted but not understood"); details at GET /v1/agents/{agent_id}/ingest-health.',
  required: Object.keys(ingestSummaryProperties),
  properties: ingestSummaryProperties,
};
const nameCounts = (description: string) => ({
  type: 'array',
  description: `${description} Span names and instrumentation scope names only (metadata), never attribute values. Most frequent first, at most ${INGEST_TOP_NAMES}.`,
  items: {
    type: 'object',
    required: ['name', 'scope', 'count'],
    properties: { name: { type: 'string' }, scope: { type: 'string', description: "'' when the exporter sent none" }, count: { type: 'integer' } },
  },
});
const runIngestHealth = {
  type: 'object',
  description: "What this run's stored spans carried that was not understood (computed on read).",
  required: [
    'spans',
    'unclassified_spans',
    'unclassified',
    'llm_calls',
    'llm_calls_without_tokens',
    'tool_calls',
    'unnamed_tool_calls',
    'unnamed_tools',
    'broken_parents',
    'step_root_scope',
  ],
  properties: {
    spans: count('Spans stored.'),
    unclassified_spans: ingestSummaryProperties.unclassified_spans,
    unclassified: nameCounts('Unclassified span names.'),
    llm_calls: count('LLM calls.'),
    llm_calls_without_tokens: count('LLM calls with no token counts.'),
    tool_calls: count('Tool calls.'),
    unnamed_tool_calls: ingestSummaryProperties.unnamed_tool_calls,
    unnamed_tools: nameCounts('Span names of the unnamed tool calls.'),
    broken_parents: ingestSummaryProperties.broken_parents,
    step_root_scope: nullable('string', { description: 'Scope of the root when the root is itself one LLM or tool call.' }),
  },
};
const agentIngestHealth = {
  type: 'object',
  required: ['agent_id', ...Object.keys(ingestSummaryProperties), 'unclassified', 'unnamed_tools', 'step_root_scopes', 'advice'],
  properties: {
    agent_id: { type: 'string' },
    ...ingestSummaryProperties,
    unclassified: nameCounts('Unclassified span names with their scope.'),
    unnamed_tools: nameCounts('Span names of tool calls without a tool name.'),
    step_root_scopes: nameCounts('Scopes of the roots of step-root runs (name = scope), with how many runs.'),
    advice: {
      type: 'array',
      description: 'What to change, one item per finding.',
      items: {
        type: 'object',
        required: ['code', 'scope', 'message', 'docs'],
        properties: {
          code: { type: 'string', enum: ['unclassified', 'step_root', 'no_steps', 'llm_without_tokens', 'unnamed_tool', 'broken_parents'] },
          scope: nullable('string'),
          message: { type: 'string' },
          docs: { type: 'string', description: 'Documentation path in the repository (docs/support-matrix.md).' },
        },
      },
    },
  },
};

const runDetail = {
  type: 'object',
  required: [
    'run_id',
    'agent_id',
    'agent_version',
    'status',
    'exit_reason',
    'started_at',
    'ended_at',
    'step_count',
    'span_count',
    'events',
    'signals',
    'ingest_health',
  ],
  properties: {
    ...Object.fromEntries(Object.entries(runSummary.properties).filter(([k]) => k !== 'signal_count' && k !== 'has_signals')),
    step_count: { type: 'integer', description: 'Steps so far while open, final once closed.' },
    events: {
      type: 'array',
      description:
        'The run as assembled from its spans, in step order: run.started, llm/tool/retrieval called+responded pairs, external.signal, run.completed|run.errored. Late events (spans after completion) carry late: true.',
      items: {
        type: 'object',
        required: ['event_type', 'step_index', 'timestamp', 'span_id', 'payload'],
        properties: {
          event_type: { type: 'string' },
          step_index: { type: 'integer' },
          timestamp: { type: 'number', description: 'unix seconds' },
          span_id: { type: 'string' },
          late: { type: 'boolean' },
          payload: { type: 'object', additionalProperties: true, description: 'Hashed, content-free facts; shape per event_type.' },
        },
      },
    },
    signals: {
      type: 'array',
      description: 'All signals of the run (shadow ones included, flagged), oldest first.',
      items: {
        type: 'object',
        required: ['failure_type', 'severity', 'confidence', 'step_index', 'evidence', 'shadow', 'detected_live', 'detected_at', 'explanation'],
        properties: Object.fromEntries(Object.entries(signal.properties).filter(([k]) => !['id', 'run_id', 'agent_id', 'agent_version'].includes(k))),
      },
    },
    ingest_health: runIngestHealth,
  },
};

const agent = {
  type: 'object',
  required: ['agent_id', 'last_seen', 'run_count', 'signal_count', 'critical_count', 'high_count', 'failure_types', 'sparkline', 'ingest_health'],
  properties: {
    agent_id: { type: 'string' },
    last_seen: nullable('string', { format: 'date-time', description: 'When a span of one of its runs was last received (or its last signal, if later).' }),
    run_count: { type: 'integer' },
    signal_count: { type: 'integer', description: 'Non-shadow signals (shadow signals are excluded from every count here).' },
    critical_count: { type: 'integer', description: 'Non-shadow CRITICAL signals.' },
    high_count: { type: 'integer', description: 'Non-shadow HIGH signals.' },
    failure_types: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Non-shadow signal count per failure type.' },
    sparkline: {
      type: 'array',
      items: { type: 'integer' },
      minItems: 24,
      maxItems: 24,
      description:
        'Non-shadow signals per hour over the last 24 hours, oldest first: item i counts signals detected in (now − (24 − i) h, now − (23 − i) h]; the last item is the last 60 minutes.',
    },
    ingest_health: ingestSummary,
  },
};

const OTLP_BODY = {
  required: true,
  description: 'OTLP/HTTP ExportTraceServiceRequest, protobuf or JSON, optionally gzip/deflate-compressed.',
  content: {
    'application/x-protobuf': { schema: { type: 'string', format: 'binary' } },
    'application/json': { schema: { type: 'object', description: 'OTLP/JSON ExportTraceServiceRequest' } },
  },
};

const otlpOperation = (summary: string) => ({
  summary,
  tags: ['ingest'],
  security: [{ bearer: [] }, { apiKeyHeader: [] }, {}],
  description:
    'Ingest spans. The key may also come from the resource attribute dunetrace.api_key. Answers only after the spans are durably stored; partial success lists rejected spans. In AUTH_MODE=dev any dt_dev_… key is accepted.',
  requestBody: OTLP_BODY,
  responses: {
    '200': { description: 'Stored (ExportTraceServiceResponse, in the request format; partialSuccess when some spans were rejected).' },
    '400': { description: 'Undecodable body.' },
    '401': { description: 'Missing or refused API key.' },
    '413': { description: 'Body too large.' },
    '415': { description: 'Unsupported content type or encoding.' },
    '503': { description: 'Database unavailable: retry after Retry-After.' },
  },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'dunetrace receiver',
    version: '1',
    description:
      "OTLP/HTTP ingest of OpenTelemetry GenAI traces and the customer REST API over the runs and failure signals found in them. Every read is scoped to the customer of the API key: another customer's agents, runs and signals are invisible (empty lists; 404 for a run). Lists are paged with limit/offset and answer `{<items>: [...], page: {total, offset, limit, has_more}}`, newest first. Wall-clock times are ISO-8601 strings; span times (started_at, ended_at, timestamp) are unix seconds.",
  },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }, { apiKeyHeader: [] }],
  tags: [{ name: 'api' }, { name: 'ingest' }, { name: 'ops' }],
  paths: {
    '/v1/agents': {
      get: {
        summary: "The customer's agents with run and signal counts and a 24-hour sparkline",
        description: 'Most recently seen first. Shadow signals are excluded from every count, failure_types and the sparkline.',
        tags: ['api'],
        parameters: [LIMIT, OFFSET],
        responses: json(list('agents', 'Agent')),
      },
    },
    '/v1/agents/{agent_id}/runs': {
      get: {
        summary: "An agent's runs, newest first",
        description: "Newest first by when the receiver first saw the run. An unknown agent (or another customer's) gives an empty list.",
        tags: ['api'],
        parameters: [AGENT_PATH, HAS_SIGNALS, STATUS, INCLUDE_SHADOW_RUNS, LIMIT, OFFSET],
        responses: json(list('runs', 'RunSummary')),
      },
    },
    '/v1/agents/{agent_id}/ingest-health': {
      get: {
        summary: 'What the agent sends that is accepted but not understood, and what to change',
        description:
          `Over the agent's newest ${INGEST_WINDOW_RUNS} completed runs: spans no vocabulary classified (by span name and instrumentation scope), ` +
          'runs with LLM calls but no token counts, tool calls without a tool name, broken parent links, runs that are a single LLM or tool ' +
          'call, each with advice. Names and counts only: no attribute value or content is ever reported.',
        tags: ['api'],
        parameters: [AGENT_PATH],
        responses: {
          ...json(ref('AgentIngestHealth')),
          '404': {
            description: "The customer has no run of this agent (another customer's agent looks the same).",
            content: { 'application/json': { schema: ref('Error') } },
          },
        },
      },
    },
    '/v1/agents/{agent_id}/signals': {
      get: {
        summary: "An agent's signals, newest first",
        tags: ['api'],
        parameters: [AGENT_PATH, SEVERITY, MIN_SEVERITY, FAILURE_TYPE, SINCE, INCLUDE_SHADOW, LIMIT, OFFSET],
        responses: json(list('signals', 'Signal')),
      },
    },
    '/v1/detectors': {
      get: {
        summary: 'Every detector as the detectors.yml in force configures it',
        description:
          "Name, severities, mode (live: alerts; shadow: stored and shown, never alerted; disabled), parameters with their values and built-in defaults, and the content-derived facts each rule reads. The `default` section, or with agent= the settings that agent gets. The settings are the receiver's, the same for every customer.",
        tags: ['api'],
        parameters: [
          query('agent', 'Resolve the settings for this agent id (its detectors.yml sections applied).', { type: 'string', minLength: 1, maxLength: 256 }),
        ],
        responses: json(ref('DetectorCatalogue')),
      },
    },
    '/v1/runs': {
      get: {
        summary: 'Runs across all agents (or one, with agent=), newest first',
        tags: ['api'],
        parameters: [AGENT_QUERY, HAS_SIGNALS, STATUS, INCLUDE_SHADOW_RUNS, LIMIT, OFFSET],
        responses: json(list('runs', 'RunSummary')),
      },
    },
    '/v1/runs/{run_id}': {
      get: {
        summary: 'One run: its assembled events and its signals with explanations',
        tags: ['api'],
        parameters: [{ name: 'run_id', in: 'path', required: true, description: 'The 32-hex trace id, or its UUID form.', schema: { type: 'string' } }],
        responses: {
          ...json(ref('RunDetail')),
          '400': { description: 'run_id is not a 32-hex trace id or its UUID form.', content: { 'application/json': { schema: ref('Error') } } },
          '404': {
            description: "No such run for this customer (another customer's run looks the same).",
            content: { 'application/json': { schema: ref('Error') } },
          },
        },
      },
    },
    '/v1/signals': {
      get: {
        summary: 'Signals across agents, newest first',
        tags: ['api'],
        parameters: [
          AGENT_QUERY,
          query('run_id', 'Only this run (32-hex trace id).', { type: 'string' }),
          SEVERITY,
          MIN_SEVERITY,
          FAILURE_TYPE,
          SINCE,
          INCLUDE_SHADOW,
          LIMIT,
          OFFSET,
        ],
        responses: json(list('signals', 'Signal')),
      },
    },
    '/v1/signals/stream': {
      get: {
        summary: 'Server-Sent Events: each new signal as it is stored',
        description: [
          "Pushes every newly stored signal of the caller's customer that passes the filters, as a default `message` event (no `event:` field) with `id:` the signal id and `data:` the Signal as JSON (the same shape as GET /v1/signals).",
          `The stream starts with \`retry: ${sseSettings.retryMs}\` and sends a \`: heartbeat\` comment every ${sseSettings.heartbeatMs / 1000} s.`,
          `With \`since\`, stored signals from that time are sent first (oldest first, at most ${sseSettings.replayLimit}), then live ones. On reconnect, EventSource's Last-Event-ID header does the same from the last signal received, so nothing is missed or repeated.`,
          'EventSource cannot send headers, so this route (only this one) also accepts the key as `?api_key=`; prefer the Authorization header where you can, since URLs end up in logs and browser history.',
          'The server ends the stream when the receiver shuts down, or when a client stops reading (more than 1 MiB queued); reconnect with Last-Event-ID.',
          `At most ${sseSettings.maxStreamsPerCustomer} open streams per customer (429 beyond).`,
        ].join('\n\n'),
        tags: ['api'],
        security: [{ bearer: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }],
        parameters: [
          AGENT_QUERY,
          SEVERITY,
          MIN_SEVERITY,
          FAILURE_TYPE,
          { ...SINCE, description: 'Replay stored signals detected since this time first (ISO-8601 or a duration like 1h), then stream live ones.' },
          INCLUDE_SHADOW,
          query('api_key', 'The API key, for clients that cannot send headers (EventSource). This route only.', { type: 'string' }),
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'Replay signals stored after this id (sent by EventSource on reconnect).',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'An event stream. Each event: `id: <signal id>` and `data: <Signal JSON>`.',
            content: {
              'text/event-stream': {
                schema: { type: 'string' },
                example: 'retry: 3000\n: connected\n\nid: 42\ndata: {"id":42,"failure_type":"TOOL_LOOP",…}\n\n: heartbeat\n\n',
              },
            },
          },
          '400': errors['400'],
          '401': errors['401'],
          '429': { description: 'Too many open streams.', content: { 'application/json': { schema: ref('Error') } } },
        },
      },
    },
    '/v1/traces': { post: otlpOperation('OTLP/HTTP trace export (standard path)') },
    '/v1/otlp/traces': { post: otlpOperation('OTLP/HTTP trace export (alias)') },
    '/health': {
      get: {
        summary: 'Liveness and readiness',
        tags: ['ops'],
        security: [],
        responses: {
          '200': {
            description: 'Ready: the database answers.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    status: { const: 'ok' },
                    database: { type: 'string', enum: ['pglite', 'postgres'] },
                    open_runs: { type: 'integer' },
                    spans: { type: 'object', properties: { accepted: { type: 'integer' }, duplicate: { type: 'integer' }, rejected: { type: 'integer' } } },
                  },
                },
              },
            },
          },
          '503': { description: 'Starting, or the database is unreachable.' },
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        tags: ['ops'],
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer dt_live_… (AUTH_MODE=keys) or dt_dev_… (AUTH_MODE=dev).' },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Dunetrace-API-Key' },
      apiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key', description: 'GET /v1/signals/stream only.' },
    },
    schemas: {
      Agent: agent,
      AgentIngestHealth: agentIngestHealth,
      RunSummary: runSummary,
      RunDetail: runDetail,
      Signal: signal,
      Explanation: explanation,
      DetectorCatalogue: {
        type: 'object',
        required: ['agent', 'sections', 'source', 'counts', 'detectors'],
        properties: {
          agent: { type: ['string', 'null'], description: 'The agent the settings were resolved for; null: the default section.' },
          sections: { type: 'array', items: { type: 'string' }, description: 'Agent sections applied, least specific first.' },
          source: { type: 'string', enum: ['file', 'defaults'], description: 'defaults: no detectors.yml was found.' },
          counts: {
            type: 'object',
            required: ['total', 'live', 'shadow', 'disabled'],
            properties: { total: { type: 'integer' }, live: { type: 'integer' }, shadow: { type: 'integer' }, disabled: { type: 'integer' } },
          },
          detectors: { type: 'array', items: ref('Detector') },
        },
      },
      Detector: {
        type: 'object',
        required: [
          'failure_type',
          'key',
          'description',
          'severities',
          'mode',
          'enabled',
          'shadow',
          'shadow_by_default',
          'in_flight',
          'needs_baseline',
          'parameters',
          'reads',
        ],
        properties: {
          failure_type: { type: 'string', enum: [...FAILURE_TYPES] },
          key: { type: 'string', description: 'Its key in detectors.yml.' },
          description: { type: 'string' },
          severities: { type: 'array', items: { type: 'string', enum: [...SEVERITIES] }, description: 'Every severity its signals can carry.' },
          mode: { type: 'string', enum: ['live', 'shadow', 'disabled'] },
          enabled: { type: 'boolean' },
          shadow: { type: 'boolean' },
          shadow_by_default: { type: 'boolean' },
          in_flight: { type: 'boolean', description: 'Also checked while the run is still in flight.' },
          needs_baseline: { type: 'boolean' },
          parameters: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'value', 'default', 'description'],
              properties: { name: { type: 'string' }, value: {}, default: {}, description: { type: 'string' } },
            },
          },
          reads: {
            type: 'array',
            items: { type: 'string' },
            description: 'Content-derived facts the rule reads (lengths, keyed digests, marker labels); empty: structure only.',
          },
        },
      },
      Page: {
        type: 'object',
        required: ['total', 'offset', 'limit', 'has_more'],
        properties: {
          total: { type: 'integer', description: 'Rows matching the filters, all pages.' },
          offset: { type: 'integer' },
          limit: { type: 'integer' },
          has_more: { type: 'boolean', description: 'offset + items on this page < total.' },
        },
      },
      Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } },
      BadRequest: {
        type: 'object',
        required: ['error', 'message', 'parameter', 'issues'],
        properties: {
          error: { const: 'bad_request' },
          message: { type: 'string', description: 'e.g. "limit: must be an integer from 1 to 500"' },
          parameter: { type: 'string', description: 'The (first) bad parameter.' },
          issues: { type: 'array', items: { type: 'object', properties: { parameter: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  },
} as const;
