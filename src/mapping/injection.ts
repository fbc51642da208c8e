import type { InjectionFacts } from './events.js';

/**
 * Prompt-injection scan on raw user input, before it is hashed. The 18 upstream Dunetrace patterns, labels
 * unchanged, case-insensitive. Bounded: inputs up to SCAN_WHOLE_MAX chars are scanned whole; longer ones as the
 * first SCAN_HEAD_CHARS plus the last SCAN_TAIL_CHARS (each part on its own, so no match is made across the cut).
 */
export const INJECTION_PATTERNS: ReadonlyArray<{ readonly label: string; readonly pattern: RegExp }> = [
  { label: 'ignore_instructions', pattern: /ignore\s+(all\s+)?(previous|prior|above|earlier)\s+instructions?/i },
  { label: 'disregard_instructions', pattern: /disregard\s+(all\s+)?(previous|prior|above)\s+instructions?/i },
  { label: 'forget_instructions', pattern: /forget\s+(all\s+)?(previous|prior|above)\s+instructions?/i },
  { label: 'you_are_now', pattern: /you\s+are\s+now\s+/i },
  { label: 'new_role', pattern: /your\s+new\s+(role|persona|identity|instructions?)\s+(is|are)/i },
  { label: 'act_as', pattern: /act\s+as\s+(if\s+you\s+are\s+)?(a|an|the)\s+/i },
  { label: 'pretend', pattern: /pretend\s+(you\s+are|to\s+be)\s+/i },
  { label: 'do_not_follow', pattern: /do\s+not\s+follow\s+(your\s+)?(previous|prior|original)\s+/i },
  { label: 'system_colon', pattern: /system\s*:\s*you\s+are/i },
  { label: 'system_tag', pattern: /\[system\]/i },
  { label: 'im_start', pattern: /<\|im_start\|>/i },
  { label: 'system_pipe', pattern: /<\|system\|>/i },
  { label: 'hash_system', pattern: /###\s*system/i },
  { label: 'jailbreak', pattern: /jailbreak/i },
  { label: 'dan_mode', pattern: /dan\s+mode/i },
  { label: 'developer_mode', pattern: /developer\s+mode\s+(enabled|on)/i },
  { label: 'override_safety', pattern: /override\s+(safety|guidelines|restrictions)/i },
  { label: 'bypass_safety', pattern: /bypass\s+(safety|restrictions|filters)/i },
];

export const SCAN_WHOLE_MAX = 32_768;
export const SCAN_HEAD_CHARS = 16_384;
export const SCAN_TAIL_CHARS = 16_384;
/** At most this many labels are reported (the count covers all of them). */
export const MAX_REPORTED_PATTERNS = 5;

/**
 * One alternation of all patterns: a single pass rejects the common case (no match) instead of 18 passes.
 * Only when it hits are the patterns tested one by one to know which matched.
 */
const ANY_PATTERN = new RegExp(INJECTION_PATTERNS.map((p) => `(?:${p.pattern.source})`).join('|'), 'i');

/** Scans raw user input. Returns null when nothing matched (or the input is empty). */
export function scanForInjection(text: string): InjectionFacts | null {
  const inputLength = text.length;
  if (inputLength === 0) return null;
  const truncated = inputLength > SCAN_WHOLE_MAX;
  const parts = truncated ? [text.slice(0, SCAN_HEAD_CHARS), text.slice(inputLength - SCAN_TAIL_CHARS)] : [text];
  if (!parts.some((p) => ANY_PATTERN.test(p))) return null;

  const matched: string[] = [];
  for (const { label, pattern } of INJECTION_PATTERNS) {
    if (parts.some((p) => pattern.test(p))) matched.push(label);
  }
  if (matched.length === 0) return null;
  const facts: InjectionFacts = {
    matched_pattern_count: matched.length,
    matched_patterns: matched.slice(0, MAX_REPORTED_PATTERNS),
    input_length: inputLength,
  };
  if (truncated) {
    facts.scan_truncated = true;
    facts.scanned_chars = SCAN_HEAD_CHARS + SCAN_TAIL_CHARS;
  }
  return facts;
}
