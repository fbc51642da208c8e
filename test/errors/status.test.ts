import { describe, expect, it } from 'vitest';
import {
  GrpcCode,
  PermanentError,
  RetryableError,
  SaturatedError,
  StorageUnavailableError,
  toGrpcStatus,
  toHttpStatus,
  type PermanentReason,
} from '../../src/errors/index.js';
import { MalformedRequestError, PayloadTooLargeError, UnsupportedEncodingError, UnsupportedMediaTypeError } from '../../src/otlp/index.js';
import { BadParams } from '../../src/receiver/api/params.js';

describe('toHttpStatus / toGrpcStatus: the one error model', () => {
  const permanent: [PermanentReason, number, number][] = [
    ['invalid_argument', 400, GrpcCode.INVALID_ARGUMENT],
    ['unauthenticated', 401, GrpcCode.UNAUTHENTICATED],
    ['forbidden', 403, GrpcCode.PERMISSION_DENIED],
    ['not_found', 404, GrpcCode.NOT_FOUND],
    ['too_large', 413, GrpcCode.RESOURCE_EXHAUSTED],
    ['unsupported_media_type', 415, GrpcCode.INVALID_ARGUMENT],
    ['unprocessable', 422, GrpcCode.INVALID_ARGUMENT],
  ];
  it.each(permanent)('permanent %s → HTTP %i, gRPC %i, no retry hint, its own message', (reason, http, grpc) => {
    const err = new PermanentError(reason, 'SOME_CODE', 'what was wrong');
    expect(toHttpStatus(err)).toEqual({ status: http, code: 'SOME_CODE', error: 'some_code', message: 'what was wrong', bug: false });
    expect(toGrpcStatus(err)).toEqual({ code: grpc, message: 'what was wrong', bug: false });
  });

  it('the OTLP decode errors are permanent with the statuses OTLP/HTTP prescribes', () => {
    const table: [Error, number, string][] = [
      [new MalformedRequestError('bad'), 400, 'MALFORMED_REQUEST'],
      [new PayloadTooLargeError('big'), 413, 'PAYLOAD_TOO_LARGE'],
      [new UnsupportedMediaTypeError('text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [new UnsupportedEncodingError('br'), 415, 'UNSUPPORTED_ENCODING'],
      [new BadParams([{ parameter: 'limit', message: 'too big' }]), 400, 'BAD_REQUEST'],
    ];
    for (const [err, status, code] of table) {
      expect(err).toBeInstanceOf(PermanentError);
      expect(toHttpStatus(err)).toMatchObject({ status, code, bug: false });
      expect(toHttpStatus(err).retryAfterSeconds).toBeUndefined();
    }
  });

  it('a database outage is 503 + Retry-After 5 with a fixed message: no driver text reaches the caller', () => {
    const err = new StorageUnavailableError('postgres unavailable: connect ECONNREFUSED 127.0.0.1:5432', { cause: new Error('x') });
    expect(err).toBeInstanceOf(RetryableError);
    expect(toHttpStatus(err)).toEqual({
      status: 503,
      retryAfterSeconds: 5,
      code: 'UNAVAILABLE',
      error: 'unavailable',
      message: 'database unavailable, retry later',
      bug: false,
    });
    expect(toGrpcStatus(err)).toEqual({ code: GrpcCode.UNAVAILABLE, message: 'database unavailable, retry later', retryDelayMs: 5000, bug: false });
  });

  it('saturation is 503 + Retry-After 1 (UNAVAILABLE with a 1 s RetryInfo on gRPC)', () => {
    expect(toHttpStatus(new SaturatedError())).toMatchObject({ status: 503, retryAfterSeconds: 1, code: 'SATURATED', message: expect.stringMatching(/busy/) });
    expect(toGrpcStatus(new SaturatedError())).toMatchObject({ code: GrpcCode.UNAVAILABLE, retryDelayMs: 1000 });
  });

  it('a throttled caller is 429 (RESOURCE_EXHAUSTED with RetryInfo); retry hints round up to whole seconds', () => {
    const err = new RetryableError('throttled', 'TOO_MANY_STREAMS', 'too many streams', 1500);
    expect(toHttpStatus(err)).toMatchObject({ status: 429, retryAfterSeconds: 2, error: 'too_many_streams', message: 'too many streams' });
    expect(toGrpcStatus(err)).toMatchObject({ code: GrpcCode.RESOURCE_EXHAUSTED, retryDelayMs: 1500 });
  });

  it('anything unclassified is a bug: 500 / INTERNAL with a fixed message, never the error text', () => {
    for (const err of [new TypeError('cannot read x of undefined: CANARY'), 'a string', null, { status: 503 }]) {
      expect(toHttpStatus(err)).toEqual({ status: 500, code: 'INTERNAL', error: 'internal', message: 'internal error', bug: true });
      expect(toGrpcStatus(err)).toEqual({ code: GrpcCode.INTERNAL, message: 'internal error', bug: true });
    }
  });
});
