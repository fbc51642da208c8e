/** Renders the commented detectors.yml that lists every detector with all its built-in defaults. */
import type { z } from 'zod';
import { DETECTORS } from './rules/index.js';

const HEADER = `# detectors.yml: Dunetrace detector settings.
#
# Sections: \`default\` applies to every agent; any other top-level key is an agent id, or a glob over agent ids
# (\`*\` = any run of characters, \`?\` = one character; quote keys that contain * or ?). For one agent, settings are
# merged per parameter: built-in defaults <- default <- each matching agent section, least specific first
# (globs by number of literal characters, then file order; an exact agent id last), so the most specific wins.
#
# Every detector takes \`enabled\` (run it at all) and \`shadow\` (store its signals, never alert on them), plus
# its own parameters below, shown with their built-in defaults and units. "live" detectors are also checked on
# runs still in flight; "baseline" detectors switch from the static thresholds to a multiple of the P75 of the
# agent+version's last 50 completed runs once \`min_baseline_runs\` runs exist.
#
# Validation is strict: an unknown detector or parameter, a wrong type or an out-of-range value stops the load with
# file:line and the key path. Evidence never contains prompt, output or argument text, only counts/names/hashes.
`;

const EXAMPLES = `
# Per-agent overrides (examples, commented out):
#
# web-research:
#   tool_loop:
#     threshold: 5
#   context_bloat:
#     growth_factor: 4.0
#
# "coding-*":
#   context_bloat:
#     growth_factor: 5.0
#     min_last_tokens: 4000
#   step_count_inflation:
#     inflation_factor: 1.5
#
# checkout-agent:
#   slow_step:
#     enabled: false
#   model_fallback_drift:
#     model_tiers: { "my-gpt4o-deployment": 3, "my-mini-deployment": 2 }
#   oversized_tool_arguments:
#     shadow: false
`;

function yamlValue(v: unknown, field: z.ZodType | undefined): string {
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
  // Maps (e.g. model_tiers) in YAML flow style, which JSON is.
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  // Ratios and scores keep a decimal point so they read as such (3.0, not 3).
  if (typeof v === 'number' && Number.isInteger(v) && (field as z.ZodNumber | undefined)?.isInt === false) return v.toFixed(1);
  return String(v);
}

function line(key: string, value: unknown, comment: string, field?: z.ZodType): string {
  const left = `    ${key}: ${yamlValue(value, field)}`;
  return `${left.padEnd(40)} # ${comment}`;
}

export function defaultDetectorsYaml(): string {
  const blocks = DETECTORS.map((d) => {
    const tags = [d.live ? 'live' : null, d.needsBaseline ? 'baseline' : null, d.shadowByDefault ? 'shadow by default' : null].filter(Boolean).join(', ');
    const out = [`  # ${d.failure_type}${tags ? ` (${tags})` : ''}: ${d.description}`, `  ${d.key}:`];
    out.push(line('enabled', true, 'run this detector'));
    out.push(line('shadow', d.shadowByDefault === true, 'store signals without alerting'));
    for (const [k, v] of Object.entries(d.defaults as Record<string, unknown>)) {
      const field = d.schema.shape[k] as z.ZodType | undefined;
      out.push(line(k, v, field?.description ?? '', field));
    }
    return out.join('\n');
  });
  return `${HEADER}\ndefault:\n${blocks.join('\n\n')}\n${EXAMPLES}`;
}
