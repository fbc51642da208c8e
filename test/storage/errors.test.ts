import { describe, expect, it } from 'vitest';
import { isTransientDbError, toStorageError } from '../../src/storage/errors.js';
import { StorageUnavailableError } from '../../src/storage/types.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('isTransientDbError', () => {
  it.each([
    ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['ECONNRESET', withCode('read ECONNRESET', 'ECONNRESET')],
    ['ETIMEDOUT', withCode('connect ETIMEDOUT', 'ETIMEDOUT')],
    ['ENOTFOUND', withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND')],
    ['AggregateError of refusals', new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'ECONNREFUSED')], '')],
    ['pg: terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['pg-pool: connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pg-pool: acquire timeout', new Error('timeout exceeded when trying to connect')],
    ['pg: not queryable', new Error('Client has encountered a connection error and is not queryable')],
    ['pg-pool: ended', new Error('Cannot use a pool after calling end on the pool')],
    ['PGlite closed', new Error('PGlite is closed')],
    ['PGlite closing', new Error('PGlite is closing')],
    ['57P01 admin_shutdown', withCode('terminating connection due to administrator command', '57P01')],
    ['57P03 cannot_connect_now', withCode('the database system is starting up', '57P03')],
    ['08006 connection_failure', withCode('connection failure', '08006')],
    ['53300 too_many_connections', withCode('sorry, too many clients already', '53300')],
    ['57014 statement timeout', withCode('canceling statement due to statement timeout', '57014')],
    ['40001 serialization_failure', withCode('could not serialize access', '40001')],
    ['40P01 deadlock', withCode('deadlock detected', '40P01')],
    ['wrapped cause', new Error('outer', { cause: withCode('x', 'ECONNRESET') })],
    ['already classified', new StorageUnavailableError('down')],
  ])('retryable: %s', (_, err) => {
    expect(isTransientDbError(err)).toBe(true);
    expect(toStorageError(err, 'Postgres')).toBeInstanceOf(StorageUnavailableError);
  });

  it.each([
    ['23505 unique_violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['23514 check_violation', withCode('new row violates check constraint', '23514')],
    ['23502 not_null_violation', withCode('null value in column violates not-null constraint', '23502')],
    ['22P02 invalid_text_representation', withCode('invalid input syntax for type integer', '22P02')],
    ['42P01 undefined_table', withCode('relation "runs" does not exist', '42P01')],
    ['42601 syntax_error', withCode('syntax error at or near', '42601')],
    ['plain error', new Error('something else')],
    ['not an error', 'ECONNREFUSED'],
  ])('permanent: %s', (_, err) => {
    expect(isTransientDbError(err)).toBe(false);
    expect(toStorageError(err, 'Postgres')).toBe(err);
  });

  it('keeps the original as cause and names the backend', () => {
    const original = withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED');
    const mapped = toStorageError(original, 'Postgres') as StorageUnavailableError;
    expect(mapped.name).toBe('StorageUnavailableError');
    expect(mapped.message).toBe('Postgres unavailable: connect ECONNREFUSED 127.0.0.1:1');
    expect(mapped.cause).toBe(original);
  });
});
