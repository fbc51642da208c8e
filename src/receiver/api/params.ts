import { z } from 'zod';
import { PermanentError } from '../../errors/index.js';
import { FAILURE_TYPES, SEVERITIES } from '../../model/index.js';

/**
 * Query parameters of the REST API, validated with zod. Every schema is strict: an unknown parameter (a typo such as
 * `severty=HIGH`) is a 400 naming it, never silently ignored. Values arrive as strings (a parameter given twice
 * arrives as an array and is refused).
 */

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

const DURATION_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d{1,6})(s|m|h|d|w)$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** `since`: an ISO-8601 date/time, or a duration back from now (`90s`, `30m`, `1h`, `7d`, `2w`). */
export function parseSince(raw: string, now = Date.now()): Date | null {
  const d = DURATION.exec(raw.trim());
  if (d) return new Date(now - Number(d[1]) * DURATION_UNITS_MS[d[2]]);
  if (!ISO_8601.test(raw.trim())) return null;
  const t = Date.parse(raw.trim());
  return Number.isFinite(t) ? new Date(t) : null;
}

const single = (what: string) => z.string({ error: (i) => (Array.isArray(i.input) ? 'give it once' : `must be ${what}`) });

const intParam = (min: number, max: number) =>
  single(`an integer from ${min} to ${max}`)
    .regex(/^\d{1,9}$/, { error: `must be an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be an integer from ${min} to ${max}` })
        .max(max, { error: `must be an integer from ${min} to ${max}` }),
    );

const boolParam = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.toLowerCase() : v),
    z.stringbool({ error: (i) => (Array.isArray(i.input) ? 'give it once' : 'must be true or false') }),
  );

const severityParam = (meaning: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : v),
    z.enum(SEVERITIES, { error: (i) => (Array.isArray(i.input) ? 'give it once' : `must be one of ${SEVERITIES.join(', ')} (${meaning})`) }),
  );

const FAILURE_TYPE_SET = new Set<string>(FAILURE_TYPES);

/** One failure type, or several separated by commas (any of them matches). */
const failureTypesParam = () =>
  single('a failure type').transform((raw, ctx) => {
    const types = [
      ...new Set(
        raw
          .split(',')
          .map((t) => t.trim().toUpperCase())
          .filter(Boolean),
      ),
    ];
    const unknown = types.filter((t) => !FAILURE_TYPE_SET.has(t));
    if (types.length === 0 || unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown failure type ${unknown.length ? JSON.stringify(unknown[0]) : '""'}; one of ${FAILURE_TYPES.join(', ')}`,
      });
      return z.NEVER;
    }
    return types;
  });

const sinceParam = () =>
  single('an ISO-8601 time or a duration like 1h').transform((raw, ctx) => {
    const d = parseSince(raw);
    if (!d) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an ISO-8601 time (2025-01-31T12:00:00Z) or a duration back from now (30m, 1h, 7d); got ${JSON.stringify(raw.slice(0, 40))}`,
      });
      return z.NEVER;
    }
    return d;
  });

const agentParam = () => single('an agent id').min(1, { error: 'must not be empty' }).max(256, { error: 'must be at most 256 characters' });

const page = {
  limit: intParam(1, MAX_LIMIT).default(DEFAULT_LIMIT),
  offset: intParam(0, 1_000_000_000).default(0),
};

export const RUN_STATUSES = ['open', 'completed', 'errored', 'stalled'] as const;

const signalFilters = {
  /** Exactly this severity, as the original Dunetrace API filters. */
  severity: severityParam('exactly this severity; min_severity= for this and above').optional(),
  /** This severity and above (HIGH: HIGH and CRITICAL). */
  min_severity: severityParam('this severity and above').optional(),
  failure_type: failureTypesParam().optional(),
  since: sinceParam().optional(),
  include_shadow: boolParam().default(false),
};

export const agentsQuery = z.strictObject({ ...page });

/** Routes that take no query parameter: any one given is a 400 naming it. */
export const noQuery = z.strictObject({});

export const runsQuery = z.strictObject({
  ...page,
  has_signals: boolParam().optional(),
  status: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.toLowerCase() : v),
      z.enum(RUN_STATUSES, { error: (i) => (Array.isArray(i.input) ? 'give it once' : `must be one of ${RUN_STATUSES.join(', ')}`) }),
    )
    .optional(),
  include_shadow: boolParam().default(false),
});

/** GET /v1/runs: runs across agents, optionally of one. */
export const allRunsQuery = runsQuery.extend({ agent: agentParam().optional() });

export const agentSignalsQuery = z.strictObject({ ...page, ...signalFilters });

export const signalsQuery = z.strictObject({ ...page, ...signalFilters, agent: agentParam().optional(), run_id: single('a run id').optional() });

/** The SSE stream: the same filters, no paging; since replays stored signals first. */
export const streamQuery = z.strictObject({
  ...signalFilters,
  agent: agentParam().optional(),
  api_key: single('an API key').optional(),
});

export const agentIdPath = agentParam();

/** GET /v1/detectors: the settings of the `default` section, or those one agent gets. */
export const detectorsQuery = z.strictObject({ agent: agentParam().optional() });

export interface ParamIssue {
  parameter: string;
  message: string;
}

/** A 400 naming every bad parameter (the answer carries `parameter` and `issues`). */
export class BadParams extends PermanentError {
  constructor(readonly issues: ParamIssue[]) {
    super('invalid_argument', 'BAD_REQUEST', issues.map((i) => `${i.parameter}: ${i.message}`).join('; '));
  }
}

/** Parses or throws BadParams naming every bad parameter. */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown, hint?: (issue: ParamIssue) => ParamIssue): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues: ParamIssue[] = [];
  for (const i of r.error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) issues.push({ parameter: k, message: 'unknown parameter' });
    } else {
      issues.push({ parameter: String(i.path[0] ?? '?'), message: i.message });
    }
  }
  throw new BadParams(hint ? issues.map(hint) : issues);
}
