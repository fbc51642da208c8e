/**
 * The detector catalogue as configured now: every registered detector with its severities, whether it alerts
 * (live) or only stores (shadow) under the detectors.yml in force, its parameters (value and built-in default)
 * and the content facts it reads. GET /v1/detectors and `dunetrace detectors` show this. Pure.
 */
import type { z } from 'zod';
import { resolveAgentConfig, type DetectorConfig } from './config.js';
import { DETECTORS } from './rules/index.js';
import type { FailureType, Severity } from './types.js';

export type DetectorMode = 'live' | 'shadow' | 'disabled';

export interface CatalogueParameter {
  name: string;
  value: unknown;
  default: unknown;
  description: string;
}

export interface CatalogueEntry {
  failure_type: FailureType;
  key: string;
  description: string;
  severities: readonly Severity[];
  /** live: signals alert; shadow: stored and shown, never alerted; disabled: not run. */
  mode: DetectorMode;
  enabled: boolean;
  shadow: boolean;
  shadow_by_default: boolean;
  /** Also checked while the run is still in flight. */
  in_flight: boolean;
  needs_baseline: boolean;
  parameters: CatalogueParameter[];
  /** Content-derived facts the rule reads; [] = structure only. */
  reads: readonly string[];
}

export interface Catalogue {
  /** The agent the settings were resolved for; null = the `default` section only. */
  agent: string | null;
  /** Agent sections of detectors.yml applied, least specific first. */
  sections: readonly string[];
  source: DetectorConfig['source']['kind'];
  counts: Record<DetectorMode, number> & { total: number };
  detectors: CatalogueEntry[];
}

export function detectorCatalogue(config: DetectorConfig, agentId: string | null = null): Catalogue {
  const resolved = agentId === null ? resolveAgentConfig({ ...config, agents: [] }, '') : resolveAgentConfig(config, agentId);
  const detectors = DETECTORS.map((d): CatalogueEntry => {
    const s = resolved.detectors[d.key];
    const defaults = d.defaults as Record<string, unknown>;
    return {
      failure_type: d.failure_type,
      key: d.key,
      description: d.description,
      severities: d.severities,
      mode: !s.enabled ? 'disabled' : s.shadow ? 'shadow' : 'live',
      enabled: s.enabled,
      shadow: s.shadow,
      shadow_by_default: d.shadowByDefault === true,
      in_flight: d.live,
      needs_baseline: d.needsBaseline === true,
      parameters: Object.keys(defaults).map((name) => ({
        name,
        value: s.params[name],
        default: defaults[name],
        description: (d.schema.shape[name] as z.ZodType | undefined)?.description ?? '',
      })),
      reads: d.reads,
    };
  });
  const count = (m: DetectorMode) => detectors.filter((d) => d.mode === m).length;
  return {
    agent: agentId,
    sections: resolved.sections,
    source: config.source.kind,
    counts: { total: detectors.length, live: count('live'), shadow: count('shadow'), disabled: count('disabled') },
    detectors,
  };
}

/**
 * The README's detector table (between `<!-- detectors:start -->` and `<!-- detectors:end -->`), from the registry
 * and the built-in defaults; a test keeps README.md equal to it.
 */
export function detectorTableMarkdown(): string {
  const { detectors } = detectorCatalogue({ source: { kind: 'defaults', path: null, reason: 'built-in defaults' }, default: {}, agents: [] });
  const rows = detectors.map((d) =>
    [
      `\`${d.failure_type}\``,
      d.mode,
      d.severities.join(', '),
      d.in_flight ? 'yes' : '',
      d.needs_baseline ? 'yes' : '',
      d.reads.length > 0 ? d.reads.map((r) => `\`${r}\``).join(', ') : '—',
      d.description.replace(/\|/g, '\\|'),
    ].join(' | '),
  );
  return [
    '| Detector | Default | Severity | In flight | Baseline | Content facts read | Rule |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}
