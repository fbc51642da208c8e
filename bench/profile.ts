/**
 * `npm run bench:profile`: the receiver (dist/) under --cpu-prof while the load generator sends one ingest case, then
 * its self-time hot spots. Options: --backend postgres|pglite (default postgres), --format protobuf|json,
 * --spans N (default 1000), --senders N (default 10), --seconds N (default 15), --long-run N (runs of N spans sent in
 * --spans-span requests instead of whole 10-span runs), --top N.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { render, summarize } from './cpuprofile.js';
import { fmt, runTsChild, settle, startReceiverProcess } from './lib.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import type { Format } from './payloads.js';
import { createBenchSchema } from './pgserver.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

const backend = arg('backend', 'postgres');
const spans = Number(arg('spans', '1000'));
const longRun = Number(arg('long-run', '0'));
const dir = mkdtempSync(path.join(tmpdir(), 'dt-prof-'));
const schema = backend === 'postgres' ? await createBenchSchema('_profile') : null;
const rec = await startReceiverProcess(schema ? { DATABASE_URL: schema.url } : {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
let load: LoadResult;
try {
  const spec: LoadSpec = {
    url: rec.url,
    format: arg('format', 'protobuf') as Format,
    connections: Number(arg('senders', '10')),
    duration: Number(arg('seconds', '15')),
    warmup: 2,
    shape: longRun ? { kind: 'long-run', runLength: longRun, spansPerRequest: spans } : { kind: 'mixed', spansPerRequest: spans },
    salt: 0x9f0f11e,
    receiver: true,
  };
  load = await runTsChild<LoadResult>('loadgen.ts', [JSON.stringify(spec)]);
  await settle(rec.url);
} finally {
  await rec.stop(); // SIGTERM: the receiver exits normally and V8 writes the profile
  await schema?.drop();
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
console.log(`${backend}, ${spans} spans/request${longRun ? ` (runs of ${longRun})` : ''}: ${fmt(load.spans_per_s)} spans/s, p50 ${load.latency_ms.p50} ms\n`);
if (file) console.log(render(summarize(path.join(dir, file), Number(arg('top', '30')))));
else console.log('no profile written (did the receiver exit normally?)');
rmSync(dir, { recursive: true, force: true });
