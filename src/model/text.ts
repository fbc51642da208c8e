/**
 * What Postgres text and jsonb accept: no NUL, no lone UTF-16 surrogate (a TEXT column refuses both; jsonb says
 * "unsupported Unicode escape sequence"). One definition for every stage that stores a string it did not make.
 */
const LONE_SURROGATE_SOURCE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const LONE_SURROGATE = new RegExp(LONE_SURROGATE_SOURCE);
const LONE_SURROGATES = new RegExp(LONE_SURROGATE_SOURCE, 'g');

/** True when the string holds a NUL or a lone surrogate. */
export function unfitForPostgres(s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s);
}

/** Lone surrogates replaced by U+FFFD (as UTF-8 encoding does everywhere else). */
export function replaceLoneSurrogates(s: string): string {
  return s.replace(LONE_SURROGATES, '\ufffd');
}

/** The string as Postgres text stores it: NULs dropped, lone surrogates replaced. */
export function fitForPostgres(s: string): string {
  return unfitForPostgres(s) ? replaceLoneSurrogates(s.replaceAll('\u0000', '')) : s;
}
