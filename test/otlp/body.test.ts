import { randomBytes } from 'node:crypto';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MalformedRequestError,
  parseContentType,
  PayloadTooLargeError,
  readBody,
  UnsupportedEncodingError,
  UnsupportedMediaTypeError,
} from '../../src/otlp/index.js';
import type { OtlpHttpError } from '../../src/otlp/index.js';

const MiB = 1024 * 1024;
const payload = Buffer.from(JSON.stringify({ resourceSpans: [], filler: 'otlp '.repeat(2000) }));

/** Yields `buf` in small chunks, to exercise the streaming path. */
async function* chunked(buf: Buffer, size = 7): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function rejection(p: Promise<unknown>): Promise<OtlpHttpError> {
  try {
    await p;
  } catch (err) {
    return err as OtlpHttpError;
  }
  throw new Error('expected readBody to reject');
}

describe('readBody', () => {
  it('identity: Buffer returned as is, stream concatenated', async () => {
    expect(await readBody(payload, { maxBytes: MiB })).toBe(payload);
    expect(await readBody(chunked(payload), { maxBytes: MiB })).toEqual(payload);
    expect(await readBody(chunked(payload), { contentEncoding: 'IDENTITY', maxBytes: MiB })).toEqual(payload);
    expect(await readBody(chunked(Buffer.alloc(0)), { maxBytes: MiB })).toEqual(Buffer.alloc(0));
  });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['GZip', gzipSync],
    ['deflate', deflateSync],
    ['deflate', deflateRawSync], // raw deflate, as some clients send it
  ] as const)('%s round trip (Buffer and stream)', async (encoding, compress) => {
    const compressed = compress(payload);
    expect(compressed.length).toBeLessThan(payload.length);
    expect(await readBody(compressed, { contentEncoding: encoding, maxBytes: MiB })).toEqual(payload);
    expect(await readBody(chunked(compressed, 3), { contentEncoding: ` ${encoding} `, maxBytes: MiB })).toEqual(payload);
  });

  it('multi-member gzip is decoded whole', async () => {
    const body = Buffer.concat([gzipSync(Buffer.from('hello ')), gzipSync(Buffer.from('world'))]);
    expect((await readBody(body, { contentEncoding: 'gzip', maxBytes: MiB })).toString()).toBe('hello world');
  });

  it('a decompressed body exactly at the limit is accepted', async () => {
    const exact = Buffer.alloc(64 * 1024, 1);
    expect(await readBody(gzipSync(exact), { contentEncoding: 'gzip', maxBytes: exact.length })).toEqual(exact);
    const err = await rejection(readBody(gzipSync(exact), { contentEncoding: 'gzip', maxBytes: exact.length - 1 }));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
  });

  it('gzip bomb: 10 GiB of zeros is refused after ~maxBytes, without large allocations', async () => {
    // One gzip member of 1 MiB of zeros is ~1 KiB; concatenated members are still one valid gzip stream.
    const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
    const members = 10 * 1024; // 10 GiB decompressed, ~10 MiB compressed, generated lazily
    let sent = 0;
    async function* bomb(): AsyncGenerator<Buffer> {
      for (let i = 0; i < members; i++) {
        sent++;
        yield member;
      }
    }
    const before = usedMemory();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, usedMemory())), 2);
    const started = Date.now();
    const err = await rejection(readBody(bomb(), { contentEncoding: 'gzip', maxBytes: MiB }));
    clearInterval(sampler);
    peak = Math.max(peak, usedMemory());

    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.status).toBe(413);
    expect(err.message).toBe(`decompressed request body exceeds the limit of ${MiB} bytes`);
    expect(sent).toBeLessThan(100); // stopped after a few members, not 10240
    expect(peak - before).toBeLessThan(40 * MiB);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gzip bomb: 200 MB built by streaming compression, raw size under the limit', async () => {
    const compressed = await gzipZeros(200 * 1000 * 1000);
    expect(compressed.length).toBeLessThan(MiB); // passes the raw check: the decompressed cap must catch it
    const before = usedMemory();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, usedMemory())), 2);
    const err = await rejection(readBody(compressed, { contentEncoding: 'gzip', maxBytes: MiB }));
    clearInterval(sampler);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(peak - before).toBeLessThan(40 * MiB);
  });

  it('oversized raw body → 413, and reading stops at the limit', async () => {
    const big = Buffer.alloc(MiB + 1);
    expect(await rejection(readBody(big, { maxBytes: MiB }))).toBeInstanceOf(PayloadTooLargeError);
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled++;
        yield Buffer.alloc(64 * 1024);
      }
    }
    const err = await rejection(readBody(endless(), { maxBytes: MiB }));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.message).toBe(`request body exceeds the limit of ${MiB} bytes`);
    expect(pulled).toBe(17);
    // Compressed bodies are capped on the raw side too (random bytes barely compress).
    const incompressible = gzipSync(randomBytes(300_000));
    expect(await rejection(readBody(chunked(incompressible, 4096), { contentEncoding: 'gzip', maxBytes: 100_000 }))).toMatchObject({
      status: 413,
      message: 'request body exceeds the limit of 100000 bytes',
    });
  });

  it('corrupt or truncated gzip → 400 with a clear message', async () => {
    const good = gzipSync(payload);
    const notGzip = await rejection(readBody(Buffer.from('this is not gzip at all'), { contentEncoding: 'gzip', maxBytes: MiB }));
    expect(notGzip).toBeInstanceOf(MalformedRequestError);
    expect(notGzip.status).toBe(400);
    expect(notGzip.message).toBe('invalid gzip body: incorrect header check (Z_DATA_ERROR)');

    const truncated = await rejection(readBody(good.subarray(0, good.length - 20), { contentEncoding: 'gzip', maxBytes: MiB }));
    expect(truncated).toBeInstanceOf(MalformedRequestError);
    expect(truncated.message).toMatch(/^invalid gzip body: unexpected end of file/);

    const flipped = Buffer.from(good);
    flipped[20] ^= 0xff;
    flipped[40] ^= 0xff;
    expect(await rejection(readBody(chunked(flipped, 5), { contentEncoding: 'gzip', maxBytes: MiB }))).toBeInstanceOf(MalformedRequestError);
    expect(await rejection(readBody(Buffer.from([1, 2, 3, 4]), { contentEncoding: 'deflate', maxBytes: MiB }))).toBeInstanceOf(MalformedRequestError);
  });

  it.each(['br', 'zstd', 'compress', 'gzip, br'])('unknown encoding %s → 415 before reading the body', async (encoding) => {
    let pulled = false;
    async function* body(): AsyncGenerator<Buffer> {
      pulled = true;
      yield payload;
    }
    const err = await rejection(readBody(body(), { contentEncoding: encoding, maxBytes: MiB }));
    expect(err).toBeInstanceOf(UnsupportedEncodingError);
    expect(err.status).toBe(415);
    expect(err.message).toBe(`unsupported Content-Encoding "${encoding}"; accepted: gzip, x-gzip, deflate, identity`);
    expect(pulled).toBe(false);
  });

  it('a failing source propagates its own error', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield gzipSync(payload).subarray(0, 10);
      throw new Error('aborted');
    }
    await expect(readBody(broken(), { contentEncoding: 'gzip', maxBytes: MiB })).rejects.toThrow('aborted');
  });
});

describe('parseContentType', () => {
  it.each([
    ['application/x-protobuf', 'protobuf'],
    ['application/protobuf', 'protobuf'],
    ['Application/X-Protobuf', 'protobuf'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    [' APPLICATION/JSON ;charset=UTF-8', 'json'],
  ] as const)('%s → %s', (header, format) => {
    expect(parseContentType(header)).toBe(format);
  });

  it.each([undefined, '', 'text/plain', 'application/grpc', 'application/jsonx', 'multipart/form-data; boundary=x'])(
    '%s → 415 listing the accepted types',
    (header) => {
      let err: unknown;
      try {
        parseContentType(header);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UnsupportedMediaTypeError);
      expect((err as OtlpHttpError).status).toBe(415);
      expect((err as Error).message).toMatch(/; accepted: application\/x-protobuf, application\/protobuf, application\/json$/);
    },
  );
});

function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** gzip of `n` zero bytes, compressed by streaming one reused 1 MiB buffer (never holds n bytes). */
async function gzipZeros(n: number): Promise<Buffer> {
  const { createGzip } = await import('node:zlib');
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  const block = Buffer.alloc(MiB);
  for (let left = n; left > 0; left -= block.length) {
    if (!gz.write(left >= block.length ? block : block.subarray(0, left))) {
      await new Promise((resolve) => gz.once('drain', resolve));
    }
  }
  gz.end();
  await done;
  return Buffer.concat(out);
}
