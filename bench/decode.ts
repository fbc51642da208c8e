/**
 * 1b. Decode, map and hash in-process on the same payloads as the ingest benchmark: protobufjs decode-only (baseline;
 * JSON.parse for OTLP/JSON), our decoder (→ OtlpSpan model), and decode + map + hash (mapSpan, SHA-256 of content).
 * Target: decode + map + hash ≥ 50 % of the decode-only rate.
 */
import { decodeExport } from '../src/otlp/index.js';
import { otlpProtoTypes } from '../src/otlp/proto-schema.js';
import { createHasher, mapSpan } from '../src/mapping/index.js';
import { quick as quickFlag } from './lib.js';
import { mixedTemplate, stamp, type Format } from './payloads.js';

export interface DecodeCase {
  format: Format;
  spansPerRequest: number;
  /** Baseline: protobufjs Type.decode (protobuf) or JSON.parse (JSON) alone. */
  decode_only_spans_per_s: number;
  /** decodeExport: the wire walk into the OtlpSpan model. */
  decode_spans_per_s: number;
  /** decodeExport + mapSpan (classification, content facts, SHA-256 of every content string). */
  decode_map_hash_spans_per_s: number;
  /** decode_map_hash ÷ decode_only; target ≥ 0.5. */
  ratio: number;
  met: boolean;
}

/** Runs fn repeatedly for about `ms` and returns calls per second (after a short warm-up). */
function rate(fn: () => void, ms: number): number {
  const warm = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warm) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    fn();
    n++;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

export function runDecode(opts: { quick?: boolean } = {}): DecodeCase[] {
  const quick = opts.quick ?? quickFlag;
  const ms = quick ? 250 : 3000;
  const T = otlpProtoTypes().exportRequest;
  const hasher = createHasher({});
  const out: DecodeCase[] = [];
  let sink = 0;
  for (const format of ['protobuf', 'json'] as Format[]) {
    for (const size of quick ? [1, 1000] : [1, 100, 1000]) {
      const bodies = Array.from({ length: 8 }, (_, k) => stamp(mixedTemplate(size, format), k + 1, 0x5eed));
      let k = 0;
      const body = () => bodies[k++ & 7];
      const only =
        format === 'protobuf'
          ? rate(() => {
              sink += (T.decode(body()) as unknown as { resourceSpans: unknown[] }).resourceSpans.length;
            }, ms)
          : rate(() => {
              sink += (JSON.parse(body().toString('utf8')) as { resourceSpans: unknown[] }).resourceSpans.length;
            }, ms);
      const dec = rate(() => {
        sink += decodeExport(body(), format).spans.length;
      }, ms);
      const full = rate(() => {
        for (const s of decodeExport(body(), format).spans) sink += mapSpan(s, { hasher }).events.length;
      }, ms);
      const r = full / only;
      out.push({
        format,
        spansPerRequest: size,
        decode_only_spans_per_s: only * size,
        decode_spans_per_s: dec * size,
        decode_map_hash_spans_per_s: full * size,
        ratio: r,
        met: r >= 0.5,
      });
    }
  }
  if (sink === -1) console.log(sink);
  return out;
}
