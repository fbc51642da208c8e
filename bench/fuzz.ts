/**
 * `npm run fuzz`: hostile bodies at volume against a real receiver process (PGlite in a temp data dir, OTLP/HTTP and
 * OTLP/gRPC). Sends --count cases (default 100,000) from the seeded corpus (bench/fuzz/bodies.ts) across OTLP/HTTP
 * protobuf and JSON, OTLP/gRPC and /v1/ingest, with valid runs interleaved; then reads every accepted run back.
 *
 * Fails (exit 1) on: any answer outside the case's expectation (a 5xx, INTERNAL/UNKNOWN/UNAVAILABLE, a hang, a reset
 * connection), the receiver exiting or logging an error, an accepted run missing or short, RSS above --max-rss-mb.
 *
 *   npm run fuzz -- [--count 100000] [--concurrency 16] [--seed 1] [--start 0] [--valid-every 25] [--max-rss-mb 1024]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { corpus, FUZZ_KEY, type FuzzCase } from './fuzz/bodies.js';
import { createSender, missingRuns, pump } from './fuzz/send.js';
import { fmt, health, mb, onInterrupt, ROOT, rssBytes, stopChild, table } from './lib.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
  return v;
}

const COUNT = arg('count', 100_000);
const CONCURRENCY = arg('concurrency', 16);
const SEED = arg('seed', 1);
// Replays from case START of the seed's corpus: `--seed 1 --start 4711 --count 1` sends exactly one reported case.
const START = arg('start', 0);
const VALID_EVERY = arg('valid-every', 25);
const MAX_RSS_MB = arg('max-rss-mb', 1024);
const MAX_BODY = 1024 * 1024;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<number> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dt-fuzz-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/fuzz/cli-entry.ts'), 'receiver'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(httpPort),
      DUNETRACE_GRPC_PORT: String(grpcPort),
      DUNETRACE_DATA_DIR: dataDir,
      DUNETRACE_MAX_BODY_BYTES: String(MAX_BODY),
      // Short run lifetimes so the runs the fuzz opens are completed (and leave memory) during the run.
      DUNETRACE_RUN_GRACE_MS: '200',
      DUNETRACE_RUN_IDLE_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the fuzz run, also when it is interrupted.
  process.once('exit', () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  onInterrupt(async () => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const errorLines: string[] = [];
  let tail = '';
  const onOutput = (d: Buffer) => {
    const text = d.toString();
    tail = (tail + text).slice(-4000);
    // pino JSON: level 50 = error, 60 = fatal. With LOG_LEVEL=error nothing else is printed but the start banner.
    for (const line of text.split('\n')) if (/"level":(5|6)0/.test(line)) errorLines.push(line.slice(0, 400));
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `receiver exited (code ${code}, signal ${signal})`));

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  while ((await fetch(`${httpUrl}/health`).catch(() => null))?.status !== 200) {
    if (exited || Date.now() > deadline) {
      console.error(`receiver did not start: ${exited ?? 'timeout'}\n${tail}`);
      rmSync(dataDir, { recursive: true, force: true });
      return 1;
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const c = corpus({ seed: SEED, maxBodyBytes: MAX_BODY, validEvery: VALID_EVERY });
  const sender = createSender({ httpUrl, grpcPort, timeoutMs: 30_000 });
  const perKind = new Map<string, { channel: string; kind: string; n: number; failed: number; outcomes: Map<string, number> }>();
  const failures: string[] = [];
  const accepted: { id: string; items: number; channel: string }[] = [];
  let done = 0;
  const rss: number[] = [];
  const t0 = Date.now();

  const sample = setInterval(() => {
    if (!exited) rss.push(rssBytes(child.pid!));
  }, 500);
  const progress = setInterval(() => {
    const s = (Date.now() - t0) / 1000;
    console.log(
      `  ${fmt(done)} / ${fmt(COUNT)} bodies, ${fmt(done / s)}/s, ${failures.length} failures, receiver RSS ${fmt(mb(rss.at(-1) ?? 0))} MB (peak ${fmt(mb(Math.max(0, ...rss)))})`,
    );
  }, 5_000);

  console.log(`fuzz: ${fmt(COUNT)} bodies, seed ${SEED}, concurrency ${CONCURRENCY}, receiver pid ${child.pid} (HTTP ${httpPort}, gRPC ${grpcPort})`);
  const onAnswer = (k: FuzzCase, a: { outcome: string; ok: boolean }, n: number) => {
    const i = START + n;
    done++;
    const key = `${k.channel} ${k.kind}`;
    let e = perKind.get(key);
    if (!e) perKind.set(key, (e = { channel: k.channel, kind: k.kind, n: 0, failed: 0, outcomes: new Map() }));
    e.n++;
    e.outcomes.set(a.outcome, (e.outcomes.get(a.outcome) ?? 0) + 1);
    if (!a.ok) {
      e.failed++;
      const line = `#${i} ${key} (expected ${k.expect}): ${a.outcome}`;
      console.log(`  FAILED ${line} (replay: seed ${SEED}, case ${i})`);
      if (failures.length < 50) failures.push(line);
    } else if (k.run && k.expect === 'accepted') accepted.push({ ...k.run, channel: k.channel });
  };
  await pump(
    COUNT,
    CONCURRENCY,
    (i) => c.at(START + i),
    (k) => sender.send(k),
    onAnswer,
    () => exited !== null,
  );
  const sendSeconds = (Date.now() - t0) / 1000;
  clearInterval(progress);
  sender.close();

  // Every accepted run must be readable with all its spans/events, once the receiver has completed them.
  let missing: string[] = [];
  if (!exited) {
    const end = Date.now() + 60_000;
    while (Date.now() < end && (await health(httpUrl).catch(() => null))?.open_runs) await new Promise((r) => setTimeout(r, 500));
    missing = await missingRuns(httpUrl, FUZZ_KEY, accepted);
  }
  clearInterval(sample);
  const h = exited ? null : await health(httpUrl).catch(() => null);
  const crashed = exited;
  await stopChild(child);
  rmSync(dataDir, { recursive: true, force: true });

  const rows = [...perKind.values()]
    .sort((a, b) => a.channel.localeCompare(b.channel) || a.kind.localeCompare(b.kind))
    .map((e) => [
      e.channel,
      e.kind,
      e.n,
      [...e.outcomes.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([o, n]) => `${o}×${n}`)
        .join(' '),
      e.failed,
    ]);
  console.log(`\n${table(['channel', 'kind', 'bodies', 'answers', 'failures'], rows)}`);
  const byChannel = new Map<string, number>();
  for (const e of perKind.values()) byChannel.set(e.channel, (byChannel.get(e.channel) ?? 0) + e.n);
  const warm = rss[Math.floor(rss.length / 10)] ?? NaN;
  const peak = Math.max(0, ...rss);
  console.log(
    `\n${fmt(done)} bodies in ${fmt(sendSeconds, 1)} s (${fmt(done / sendSeconds)}/s): ${[...byChannel].map(([ch, n]) => `${ch} ${fmt(n)}`).join(', ')}`,
  );
  console.log(`accepted runs read back: ${fmt(accepted.length - missing.length)} of ${fmt(accepted.length)}`);
  console.log(`receiver RSS: after 10% ${fmt(mb(warm))} MB, peak ${fmt(mb(peak))} MB, at the end ${fmt(mb(rss.at(-1) ?? NaN))} MB (limit ${MAX_RSS_MB} MB)`);
  if (h) console.log(`receiver /health: spans accepted ${fmt(h.spans.accepted)}, duplicate ${fmt(h.spans.duplicate)}, rejected ${fmt(h.spans.rejected)}`);

  const problems = [
    ...(crashed ? [crashed] : []),
    ...(done < COUNT ? [`only ${done} of ${COUNT} bodies answered`] : []),
    ...failures,
    ...missing.slice(0, 20).map((m) => `accepted run not stored: ${m}`),
    ...errorLines.slice(0, 10).map((l) => `receiver logged an error: ${l}`),
    ...(peak > MAX_RSS_MB * 1024 * 1024 ? [`receiver RSS peaked at ${fmt(mb(peak))} MB > ${MAX_RSS_MB} MB`] : []),
  ];
  const failedCount = [...perKind.values()].reduce((s, e) => s + e.failed, 0) + missing.length + errorLines.length + (crashed ? 1 : 0);
  if (problems.length) {
    console.log(`\nFAILED: ${failedCount} failures\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    if (crashed) console.log(`receiver output (tail):\n${tail}`);
    return 1;
  }
  console.log('\n0 failures');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
