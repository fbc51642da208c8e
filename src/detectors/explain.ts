/**
 * Explanations of signals (title, what happened, why it matters, evidence summary, suggested fixes). Each detector
 * writes its own text beside its rule (`explain` in rules/*.ts), over its own evidence type; this module picks the
 * detector and adds the generic evidence summary. Deterministic, content-free: evidence is all it reads.
 */
import type { Evidence, EvidenceValue, Explanation, Signal } from '../model/index.js';
import { EvidenceReader } from './evidence-reader.js';
import { getDetector } from './registry.js';

function render(v: EvidenceValue): string {
  if (v === null) return 'unknown';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'unknown';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return /^[0-9a-f]{32,}$/i.test(v) ? `${v.slice(0, 12)}…` : v;
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(render).join(', ');
  return Object.entries(v)
    .map(([k, x]) => `${k}=${render(x)}`)
    .join(' ');
}

/** One "key: value" line per evidence field. */
export function summarizeEvidence(evidence: Evidence): string {
  const entries = Object.entries(evidence ?? {});
  if (entries.length === 0) return 'no evidence recorded';
  return entries
    .map(([k, v]) => {
      if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null)) {
        return `${k}: ${v.length === 0 ? 'none' : v.map((x) => `[${render(x)}]`).join(' ')}`;
      }
      return `${k}: ${render(v)}`;
    })
    .join('\n');
}

const UNKNOWN: Omit<Explanation, 'evidence_summary'> = {
  title: 'Agent failure detected',
  what: 'A detector flagged this run.',
  why_it_matters: 'The run may not have done what the user asked.',
  suggested_fixes: [],
};

/** Explains a signal; evidence read back from storage may be old or odd, and renders as "unknown" where it is. */
export function explainSignal(signal: Pick<Signal, 'failure_type' | 'evidence' | 'step_index'>): Explanation {
  const evidence: Evidence = signal?.evidence && typeof signal.evidence === 'object' ? signal.evidence : {};
  const step = typeof signal?.step_index === 'number' && Number.isFinite(signal.step_index) ? String(signal.step_index) : 'unknown';
  const detector = getDetector(signal?.failure_type);
  const text = detector ? detector.explain(new EvidenceReader(evidence), step) : UNKNOWN;
  return { ...text, evidence_summary: summarizeEvidence(evidence) };
}
