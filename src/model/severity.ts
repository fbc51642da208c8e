/** Severity of a failure signal, lowest first (the original Dunetrace's order). */
export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** LOW 0 < MEDIUM 1 < HIGH 2 < CRITICAL 3. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 };

export function atLeast(severity: Severity, min: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}

/** Every severity at or above `min`, lowest first (a "minimum severity" filter as a set). */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => atLeast(s, min));
}

export function isSeverity(v: unknown): v is Severity {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
}
