import { StorageUnavailableError } from './types.js';

/**
 * Sorting database errors by whether a retry can help.
 * Retryable (→ StorageUnavailableError → HTTP 503): the database cannot be reached, the connection broke, a timeout,
 * the server is shutting down or out of connections, a serialization failure or deadlock, a closed PGlite.
 * Everything else (constraint violations, bad data, SQL bugs) is rethrown unchanged: a retry would fail the same way.
 */

/** Node socket / DNS error codes meaning "could not reach or lost the server". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
]);

/** SQLSTATEs that are transient: connection exceptions, shutdown, resources, concurrency conflicts, timeouts. */
const TRANSIENT_SQLSTATE_PREFIXES = ['08', '53', '57P', '40'] as const; // class 08, 53, 57P0x, 40 (40001, 40P01)
const TRANSIENT_SQLSTATES = new Set(['57014' /* query_canceled (statement_timeout) */, '55P03' /* lock_not_available */]);

/** Messages from pg, pg-pool and PGlite for connection-level failures (none of them carry a code). */
const TRANSIENT_MESSAGES = [
  /connection terminated/i, // "Connection terminated unexpectedly", "… due to connection timeout"
  /timeout exceeded when trying to connect/i,
  /is not queryable/i, // pg Client after a connection error or end()
  /cannot use a pool after calling end/i,
  /PGlite is clos(ed|ing)/i,
  /connection timeout/i,
  /query read timeout/i,
];

export function isTransientDbError(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // A SQLSTATE is exactly 5 chars of [0-9A-Z].
    if (/^[0-9A-Z]{5}$/.test(code)) {
      return TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_PREFIXES.some((p) => code.startsWith(p));
    }
  }
  if (TRANSIENT_MESSAGES.some((re) => re.test(err.message))) return true;
  // AggregateError (e.g. connect() tried IPv4 and IPv6 and both were refused) and wrapped causes.
  if (err instanceof AggregateError && err.errors.some(isTransientDbError)) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isTransientDbError(cause);
}

/** Converts a transient error into StorageUnavailableError (cause kept); returns any other error unchanged. */
export function toStorageError(err: unknown, backend: string): unknown {
  if (err instanceof StorageUnavailableError) return err;
  if (isTransientDbError(err)) {
    const detail = err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
    return new StorageUnavailableError(`${backend} unavailable: ${detail}`, { cause: err });
  }
  return err;
}
