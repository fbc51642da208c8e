/**
 * detectors.yml: a `default` section plus sections keyed by agent id or glob (`*` any run of characters, `?` one
 * character), each mapping snake_case detector keys to `enabled`, `shadow` and the detector's parameters.
 *
 *   default:
 *     tool_loop: { threshold: 3, window: 5 }
 *   "web-*":
 *     tool_loop: { threshold: 5 }
 *   checkout-agent:
 *     slow_step: { enabled: false }
 *
 * Resolution for an agent: built-in defaults ← `default` ← every matching agent section, least specific first
 * (globs by number of literal characters, then file order; an exact id last), merged per parameter. So the most
 * specific section wins on a conflict, and settings it does not mention come from the broader ones.
 *
 * Validation is strict (unlike upstream, which silently ignored typos): an unknown detector, an unknown parameter, a
 * wrong type or an out-of-range value throws DetectorConfigError naming file, line and key path, e.g.
 *   detectors.yml:12: default.tool_loop.treshold: unknown parameter (known: threshold, window, enabled, shadow)
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { z } from 'zod';
import { DETECTORS } from './rules/index.js';
import type { AnyDetector } from './types.js';
import { editDistance, globMatch, isGlob } from './util.js';

export interface DetectorSettings<P = Record<string, unknown>> {
  enabled: boolean;
  /** Signals are stored but never alerted. */
  shadow: boolean;
  params: P;
}

export interface DetectorOverride {
  enabled?: boolean;
  shadow?: boolean;
  /** Only the parameters the section sets. */
  params: Readonly<Record<string, unknown>>;
}

/** Detector key → override. */
export type SectionOverrides = Readonly<Record<string, DetectorOverride>>;

export interface AgentSection {
  /** Agent id, or a glob over agent ids. */
  pattern: string;
  line: number;
  overrides: SectionOverrides;
}

export type ConfigSource = { kind: 'file'; path: string } | { kind: 'defaults'; path: string | null; reason: string };

export interface DetectorConfig {
  /** Where the settings came from; `defaults` says why no file was used. */
  source: ConfigSource;
  default: SectionOverrides;
  agents: readonly AgentSection[];
}

export interface ResolvedAgentConfig {
  agent_id: string;
  /** Agent sections applied, in application order (the last one wins on conflicts). */
  sections: readonly string[];
  /** Detector key → settings, for every detector. */
  detectors: Readonly<Record<string, DetectorSettings>>;
}

export interface ConfigProblem {
  file: string;
  /** 1-based; 0 when the problem has no position (e.g. the file cannot be read). */
  line: number;
  /** Key path, e.g. default.tool_loop.threshold */
  path: string;
  message: string;
}

export class DetectorConfigError extends Error {
  override readonly name = 'DetectorConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

function formatProblem(p: ConfigProblem): string {
  return `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

const BY_KEY = new Map(DETECTORS.map((d) => [d.key, d]));
const META_KEYS = ['enabled', 'shadow'] as const;
const overrideSchemas = new Map<string, z.ZodObject>(
  DETECTORS.map((d) => [d.key, z.strictObject({ ...d.schema.shape, enabled: z.boolean(), shadow: z.boolean() }).partial()]),
);

/** The built-in settings; `source` says why no file was used (e.g. a detectors.yml path that does not exist). */
export function defaultDetectorConfig(source: { path: string | null; reason: string } = { path: null, reason: 'built-in defaults' }): DetectorConfig {
  return freeze({ source: { kind: 'defaults', ...source }, default: {}, agents: [] });
}

/** Parses and validates detectors.yml text; every problem is reported at once. */
export function parseDetectorConfig(text: string, fileName = 'detectors.yml'): DetectorConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = [];
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lc.linePos(node.range[0]).line : 1);
  const problem = (node: Node | null | undefined, path: string, message: string): void => {
    problems.push({ file: fileName, line: lineOf(node), path, message });
  };

  if (doc.errors.length > 0) {
    throw new DetectorConfigError(
      doc.errors.map((e) => ({
        file: fileName,
        line: e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line,
        path: '',
        message: `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }

  let defaults: SectionOverrides = {};
  const agents: AgentSection[] = [];
  /** Section name → detector key → its key node, for cross-parameter checks. */
  const keyNodes = new Map<string, Map<string, Node>>();
  const root = doc.contents;
  if (root !== null && !isMap(root)) {
    problem(root, '', 'the file must be a mapping: `default:` and agent id (or glob) sections');
  } else if (root) {
    for (const pair of root.items) {
      const name = keyName(pair);
      if (name === null) {
        problem(pair.key, '', 'section names must be strings (`default` or an agent id / glob)');
        continue;
      }
      if (name !== 'default' && BY_KEY.has(name)) {
        problem(pair.key, name, 'is a detector key: put it under `default:` or under an agent id section');
        continue;
      }
      const nodes = new Map<string, Node>();
      keyNodes.set(name, nodes);
      const overrides = parseSection(doc, pair, name, problem, nodes);
      if (name === 'default') defaults = overrides;
      else agents.push({ pattern: name, line: lineOf(pair.key), overrides });
    }
  }
  if (problems.length > 0) throw new DetectorConfigError(problems);
  const config: DetectorConfig = { source: { kind: 'file', path: fileName }, default: defaults, agents };
  crossCheck(config, keyNodes, problem);
  if (problems.length > 0) throw new DetectorConfigError(problems);
  return freeze(config);
}

/**
 * Cross-parameter rules (e.g. threshold ≤ window) are checked on merged settings: `default` over the built-ins, and
 * each agent section as it resolves for an agent id equal to its own pattern (so "web-research-*" is checked
 * layered over "web-*" and `default`).
 */
function crossCheck(config: DetectorConfig, keyNodes: Map<string, Map<string, Node>>, problem: Report): void {
  const check = (section: string, resolved: ResolvedAgentConfig): void => {
    for (const [key, node] of keyNodes.get(section) ?? []) {
      const d = BY_KEY.get(key);
      const msg = d?.validate?.(resolved.detectors[key].params);
      if (msg) problem(node, `${section}.${key}`, msg);
    }
  };
  check('default', resolveAgentConfig({ ...config, agents: [] }, ''));
  for (const section of config.agents) check(section.pattern, resolveAgentConfig(config, section.pattern));
}

type Report = (node: Node | null | undefined, path: string, message: string) => void;

function keyName(pair: Pair): string | null {
  const k = pair.key;
  if (isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number') && String(k.value).length > 0) {
    return String(k.value);
  }
  return null;
}

function hint(name: string, known: readonly string[]): string {
  const best = known
    .map((k) => ({ k, d: editDistance(name, k) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(x.k.length / 4)))
    .sort((a, b) => a.d - b.d)[0];
  return best ? `; did you mean ${best.k}?` : '';
}

function parseSection(doc: Document, pair: Pair, section: string, problem: Report, lines: Map<string, Node>): SectionOverrides {
  const out: Record<string, DetectorOverride> = {};
  const value = pair.value as Node | null;
  if (value === null || (isScalar(value) && value.value === null)) return out;
  if (!isMap(value)) {
    problem(value, section, 'must be a mapping of detector keys (e.g. tool_loop:)');
    return out;
  }
  for (const dp of value.items) {
    const key = keyName(dp);
    const path = `${section}.${key ?? '?'}`;
    const detector = key === null ? undefined : BY_KEY.get(key);
    if (!key || !detector) {
      const known = [...BY_KEY.keys()];
      problem(dp.key as Node, path, `unknown detector (known: ${known.join(', ')})${hint(key ?? '', known)}`);
      continue;
    }
    const override = parseDetector(doc, dp, detector, path, problem);
    if (override) {
      out[key] = override;
      lines.set(key, dp.key as Node);
    }
  }
  return out;
}

function parseDetector(doc: Document, pair: Pair, d: AnyDetector, path: string, problem: Report): DetectorOverride | null {
  const value = pair.value as Node | null;
  if (value === null || (isScalar(value) && value.value === null)) return { params: {} };
  if (!isMap(value)) {
    problem(value, path, 'must be a mapping of parameters (enabled, shadow, …)');
    return null;
  }
  const paramNodes = new Map<string, Pair>();
  for (const p of value.items) {
    const k = keyName(p);
    if (k !== null) paramNodes.set(k, p);
    else problem(p.key as Node, path, 'parameter names must be strings');
  }
  const raw = value.toJS(doc) as Record<string, unknown>;
  const known = [...Object.keys(d.schema.shape), ...META_KEYS];
  const result = (overrideSchemas.get(d.key) as z.ZodObject).safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          problem(paramNodes.get(k)?.key as Node, `${path}.${k}`, `unknown parameter (known: ${known.join(', ')})${hint(k, known)}`);
        }
        continue;
      }
      const param = String(issue.path[0] ?? '');
      const node = paramNodes.get(param)?.value as Node | undefined;
      const expectation = (d.schema.shape[param] as z.ZodType | undefined)?.description;
      problem(node, `${path}.${issue.path.join('.')}`, `${issueText(issue, raw[param])}${expectation ? ` — ${expectation}` : ''}`);
    }
    return null;
  }
  const parsed = result.data;
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) if (k !== 'enabled' && k !== 'shadow') params[k] = v;
  const out: DetectorOverride = { params };
  if (typeof parsed.enabled === 'boolean') out.enabled = parsed.enabled;
  if (typeof parsed.shadow === 'boolean') out.shadow = parsed.shadow;
  return out;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `a string ("${v.length > 20 ? `${v.slice(0, 20)}…` : v}")`;
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? `${typeof v} ${String(v)}` : typeof v;
}

function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return `expected an integer, got ${describeValue(value)}`;
      return `expected ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, got ${
        issue.path.length > 1 && Array.isArray(value) ? describeValue(value[Number(issue.path[1])]) : describeValue(value)
      }`;
    case 'too_small':
      return `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''}, got ${describeValue(value)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}, got ${describeValue(value)}`;
    default:
      return issue.message;
  }
}

/** Settings for one agent: defaults ← `default` ← matching agent sections (least specific first). */
export function resolveAgentConfig(config: DetectorConfig, agentId: string): ResolvedAgentConfig {
  const id = typeof agentId === 'string' ? agentId : '';
  const matching = config.agents
    .map((s, order) => ({ s, order }))
    .filter(({ s }) => (isGlob(s.pattern) ? globMatch(s.pattern, id) : s.pattern === id))
    .sort((a, b) => specificity(a.s.pattern) - specificity(b.s.pattern) || a.order - b.order)
    .map(({ s }) => s);
  const detectors: Record<string, DetectorSettings> = {};
  for (const d of DETECTORS) {
    let settings: DetectorSettings = { enabled: true, shadow: d.shadowByDefault === true, params: { ...d.defaults } };
    for (const overrides of [config.default, ...matching.map((m) => m.overrides)]) {
      const o = overrides[d.key];
      if (!o) continue;
      settings = {
        enabled: o.enabled ?? settings.enabled,
        shadow: o.shadow ?? settings.shadow,
        params: { ...settings.params, ...o.params },
      };
    }
    detectors[d.key] = settings;
  }
  return freeze({ agent_id: id, sections: matching.map((m) => m.pattern), detectors });
}

/** Exact ids beat every glob; globs rank by literal characters, then by fewer `*`. */
function specificity(pattern: string): number {
  if (!isGlob(pattern)) return Number.MAX_SAFE_INTEGER;
  const literal = [...pattern].filter((c) => c !== '*' && c !== '?').length;
  const stars = [...pattern].filter((c) => c === '*').length;
  return literal * 1000 - stars;
}

function freeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) freeze(x);
  }
  return v;
}
