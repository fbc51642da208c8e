import type { Evidence } from '../model/index.js';

/** Keys of E whose (non-null) values are assignable to V. */
type KeysOf<E, V> = { [K in keyof E]-?: NonNullable<E[K]> extends V ? K : never }[keyof E] & string;

/**
 * Formatting helpers over one signal's evidence, typed by the detector's evidence type: a template can only ask for a
 * key its rule writes, as the type the rule writes it. The values themselves come from storage and are checked at
 * run time: anything missing or odd renders as "unknown", never "undefined"/"NaN".
 */
export class EvidenceReader<E extends Evidence> {
  constructor(private readonly e: Readonly<Record<string, unknown>>) {}

  n(key: KeysOf<E, number>, unit = ''): string {
    const v = this.e[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'unknown';
    return `${Number.isInteger(v) ? v.toLocaleString('en-US') : String(v)}${unit}`;
  }

  ms(key: KeysOf<E, number>): string {
    const v = this.e[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'unknown';
    return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
  }

  s(key: KeysOf<E, string | number>, fallback = 'unknown'): string {
    const v = this.e[key];
    return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : fallback;
  }

  list(key: KeysOf<E, readonly (string | number)[]>, fallback = 'none'): string {
    const v = this.e[key];
    if (!Array.isArray(v) || v.length === 0) return fallback;
    return v.map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x) : '?')).join(', ');
  }

  /** True when the field holds a finite number or a non-empty string. */
  has(key: KeysOf<E, string | number>): boolean {
    const v = this.e[key];
    return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length > 0);
  }

  is(key: KeysOf<E, boolean>): boolean {
    return this.e[key] === true;
  }
}
