/**
 * What the protobuf and JSON decoders share: the result they build (accepted spans, rejected spans with reasons,
 * warnings) and the small normalisations both must apply identically.
 */
import { echo } from './errors.js';
import type { AttrValue, Attributes, DecodedExport, OtlpSpan, OtlpSpanKind, OtlpStatusCode } from './model.js';

export interface DecodeResult extends DecodedExport {
  /** Non-fatal oddities in the request (deduplicated), for the caller to log once and/or echo in partial_success. */
  warnings: string[];
}

/** Reasons kept per request: enough to debug a sender, small enough for a partial_success message. */
const MAX_REASONS = 10;

export const STRINDEX_WARNING = 'ignored profiling-only *_strindex fields (key_strindex / string_value_strindex) in trace attributes';

export const ZERO_TRACE_ID = '00000000000000000000000000000000';
export const ZERO_SPAN_ID = '0000000000000000';

/** Accumulates one request's decode outcome. */
export class DecodeCollector {
  readonly spans: OtlpSpan[] = [];
  private rejected = 0;
  private readonly reasons: string[] = [];
  private readonly warnings = new Set<string>();

  /** Records a skipped span; `where` locates it, e.g. resourceSpans[0].scopeSpans[0].spans[3]. */
  reject(where: string, spanName: unknown, reason: string): void {
    this.rejected++;
    if (this.reasons.length < MAX_REASONS) {
      const named = typeof spanName === 'string' && spanName !== '' ? ` (name ${echo(spanName)})` : '';
      this.reasons.push(`${where}${named}: ${reason}`);
    }
  }

  warn(message: string): void {
    this.warnings.add(message);
  }

  result(): DecodeResult {
    return {
      spans: this.spans,
      rejectedSpans: this.rejected,
      rejectedReasons: this.reasons,
      warnings: [...this.warnings],
    };
  }
}

/** Location of a span in the request, built only when a span is rejected. */
export function spanPath(resourceIndex: number, scopeIndex: number, spanIndex: number): string {
  return `resourceSpans[${resourceIndex}].scopeSpans[${scopeIndex}].spans[${spanIndex}]`;
}

/**
 * Sets an attribute. A plain assignment of the key "__proto__" would replace the object's prototype instead of
 * storing the value, so that one key is defined explicitly. Later duplicates win, as in the collector.
 */
export function setAttr(target: Attributes, key: string, value: AttrValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Unknown span kinds (a newer proto, a buggy sender) become UNSPECIFIED rather than failing the span. */
export function toSpanKind(n: number): OtlpSpanKind {
  return n >= 0 && n <= 5 && Number.isInteger(n) ? (n as OtlpSpanKind) : 0;
}

/** Unknown status codes become UNSET. */
export function toStatusCode(n: number): OtlpStatusCode {
  return n === 1 || n === 2 ? n : 0;
}
