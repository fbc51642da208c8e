/** A fix a developer can apply, optionally with a code snippet. */
export interface SuggestedFix {
  description: string;
  language?: string;
  code?: string;
}

/** A signal explained in words (deterministic templates over content-free evidence). */
export interface Explanation {
  title: string;
  what: string;
  why_it_matters: string;
  evidence_summary: string;
  suggested_fixes: SuggestedFix[];
}
