import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, CHANNELS, FUZZ_KEY } from '../../bench/fuzz/bodies.js';
import { createSender, missingRuns, pump } from '../../bench/fuzz/send.js';
import { startReceiver, type Running } from '../helpers/receiver.js';

/**
 * A short run of `npm run fuzz` (bench/fuzz.ts: 100k bodies against a receiver process) in the suite: the same seeded
 * corpus and judge, a few hundred bodies against an in-process receiver over real HTTP and gRPC sockets.
 */
const MAX_BODY = 1024 * 1024;
const COUNT = 240;

describe('fuzz smoke: hostile bodies on every way in', () => {
  let r: Running;
  let grpcPort: number;
  beforeAll(async () => {
    r = await startReceiver({ DUNETRACE_MAX_BODY_BYTES: String(MAX_BODY) });
    grpcPort = await r.receiver.listenGrpc('127.0.0.1', 0);
  });
  afterAll(() => r.close());

  it(`${COUNT} bodies across OTLP/HTTP protobuf+JSON, OTLP/gRPC and /v1/ingest: only the expected 2xx/4xx answers, accepted runs stored`, async () => {
    // A different seed on every run widens the search over time; a failure names the seed to replay it.
    const seed = Number(process.env.DUNETRACE_FUZZ_SEED ?? Math.floor(Math.random() * 1e9));
    const c = corpus({ seed, maxBodyBytes: MAX_BODY, validEvery: 10 });
    const sender = createSender({ httpUrl: r.url, grpcPort, timeoutMs: 20_000 });
    const failures: string[] = [];
    const accepted: { id: string; items: number; channel: string }[] = [];
    const kinds = new Set<string>();
    const refused = new Set<string>();
    try {
      await pump(
        COUNT,
        4,
        (i) => c.at(i),
        (k) => sender.send(k),
        (k, a, i) => {
          kinds.add(`${k.channel} ${k.kind}`);
          if (!a.ok) failures.push(`seed ${seed} #${i} ${k.channel} ${k.kind} (expected ${k.expect}): ${a.outcome}`);
          else if (k.expect === 'accepted' && k.run) accepted.push({ ...k.run, channel: k.channel });
          if (/^4|grpc:(INVALID_ARGUMENT|RESOURCE_EXHAUSTED)/.test(a.outcome)) refused.add(k.channel);
        },
      );
    } finally {
      sender.close();
    }
    expect(failures).toEqual([]);
    // The run was a real mix: every channel refused something, most kinds were drawn, valid runs were interleaved.
    expect([...refused].sort()).toEqual([...CHANNELS].sort());
    expect(kinds.size).toBeGreaterThan(30);
    expect(accepted.length).toBeGreaterThanOrEqual(COUNT / 10);
    expect(await missingRuns(r.url, FUZZ_KEY, accepted)).toEqual([]);
    // The receiver still works as usual afterwards.
    expect((await fetch(`${r.url}/health`)).status).toBe(200);
  }, 120_000);
});
