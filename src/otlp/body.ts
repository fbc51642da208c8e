/**
 * Request body intake: Content-Type dispatch and size-capped reading with optional decompression.
 *
 * The cap applies to the raw bytes and, separately, to the decompressed bytes while they stream out of zlib,
 * so a gzip bomb is refused after producing ~maxBytes, never after inflating it whole.
 */
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import type { Transform } from 'node:stream';
import { echo, MalformedRequestError, PayloadTooLargeError, UnsupportedEncodingError, UnsupportedMediaTypeError } from './errors.js';

export type OtlpFormat = 'protobuf' | 'json';

const MEDIA_TYPES: Record<string, OtlpFormat> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

/** Maps a Content-Type header to the body format; parameters (`; charset=utf-8`) and case are ignored. */
export function parseContentType(header: string | undefined): OtlpFormat {
  const mediaType = (header ?? '').split(';', 1)[0].trim().toLowerCase();
  const format = Object.hasOwn(MEDIA_TYPES, mediaType) ? MEDIA_TYPES[mediaType] : undefined;
  if (format) return format;
  const got = mediaType === '' ? 'no Content-Type' : `Content-Type ${echo(mediaType)}`;
  throw new UnsupportedMediaTypeError(`unsupported ${got}; accepted: ${Object.keys(MEDIA_TYPES).join(', ')}`);
}

export interface ReadBodyOptions {
  /** The Content-Encoding header, if any. */
  contentEncoding?: string;
  /** Limit for the raw body and, separately, for the decompressed body. */
  maxBytes: number;
}

type Coding = 'identity' | 'gzip' | 'deflate';

const CODINGS: Record<string, Coding> = {
  '': 'identity',
  identity: 'identity',
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
};

/**
 * Reads and decompresses a request body. On a limit or decode error the source is neither drained nor destroyed:
 * the caller decides (for an HTTP request: reply 413/400 with `Connection: close`, so the client is not left
 * with a reset connection, which OTLP exporters would retry).
 */
export async function readBody(source: AsyncIterable<Buffer> | Buffer, opts: ReadBodyOptions): Promise<Buffer> {
  const coding = parseContentEncoding(opts.contentEncoding);
  const { maxBytes } = opts;
  if (Buffer.isBuffer(source)) {
    if (source.length > maxBytes) throw rawTooLarge(maxBytes);
    if (coding === 'identity' || source.length === 0) return source;
    return decompress(singleChunk(source), coding, maxBytes);
  }
  const chunks = source[Symbol.asyncIterator]();
  if (coding !== 'identity') return decompress(chunks, coding, maxBytes);

  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const next = await chunks.next();
    if (next.done) break;
    const chunk = asBuffer(next.value);
    total += chunk.length;
    if (total > maxBytes) throw rawTooLarge(maxBytes);
    parts.push(chunk);
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

function parseContentEncoding(header: string | undefined): Coding {
  const token = (header ?? '').trim().toLowerCase();
  const coding = Object.hasOwn(CODINGS, token) ? CODINGS[token] : undefined;
  if (coding) return coding;
  throw new UnsupportedEncodingError(`unsupported Content-Encoding ${echo(token)}; accepted: gzip, x-gzip, deflate, identity`);
}

/**
 * Streams raw chunks through zlib, counting both sides. Input is written with backpressure and output is taken
 * in 'data' events as it is produced, so memory stays at about maxBytes plus zlib's 16 KiB buffers.
 */
async function decompress(chunks: AsyncIterator<Buffer>, coding: 'gzip' | 'deflate', maxBytes: number): Promise<Buffer> {
  let z: Transform | undefined;
  let failure: Error | undefined;
  const out: Buffer[] = [];
  let outBytes = 0;
  let finished!: Promise<void>;

  const start = (first: Buffer): Transform => {
    const stream = coding === 'gzip' ? createGunzip() : looksLikeZlib(first) ? createInflate() : createInflateRaw();
    finished = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        if (failure) return;
        outBytes += chunk.length;
        if (outBytes > maxBytes) {
          failure = new PayloadTooLargeError(`decompressed request body exceeds the limit of ${maxBytes} bytes`);
          stream.destroy();
          return;
        }
        out.push(chunk);
      });
      stream.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ? ` (${err.code})` : '';
        failure ??= new MalformedRequestError(`invalid ${coding} body: ${err.message}${code}`);
      });
      stream.on('end', resolve);
      stream.on('close', resolve);
    });
    return stream;
  };

  let rawBytes = 0;
  try {
    while (!failure) {
      const next = await chunks.next();
      if (next.done) break;
      const chunk = asBuffer(next.value);
      if (chunk.length === 0) continue;
      rawBytes += chunk.length;
      if (rawBytes > maxBytes) {
        failure = rawTooLarge(maxBytes);
        break;
      }
      z ??= start(chunk);
      if (!z.write(chunk)) await drained(z);
    }
  } catch (err) {
    z?.destroy();
    throw err; // the source itself failed (e.g. client aborted): not ours to classify
  }
  if (!z) {
    if (failure) throw failure;
    return Buffer.alloc(0); // empty body: nothing to decompress
  }
  if (failure) z.destroy();
  else z.end();
  await finished;
  if (failure) throw failure;
  return out.length === 1 ? out[0] : Buffer.concat(out, outBytes);
}

/** Resolves on 'drain', or on 'close' when the stream was destroyed meanwhile (cap reached, corrupt input). */
function drained(stream: Transform): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/**
 * "deflate" is meant to be zlib-wrapped (RFC 9110), but some clients send raw deflate; the zlib header
 * (CM = 8, header checksum divisible by 31) tells them apart.
 */
function looksLikeZlib(first: Buffer): boolean {
  if ((first[0] & 0x0f) !== 8 || first[0] >> 4 > 7) return false;
  return first.length < 2 || ((first[0] << 8) | first[1]) % 31 === 0;
}

function rawTooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`request body exceeds the limit of ${maxBytes} bytes`);
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError('readBody: body chunks must be Buffers');
}

function singleChunk(buf: Buffer): AsyncIterator<Buffer> {
  let done = false;
  return {
    next: async () => {
      if (done) return { done: true, value: undefined };
      done = true;
      return { done: false, value: buf };
    },
  };
}
