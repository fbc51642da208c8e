/**
 * Child process for the durability test: opens a PGlite dir, writes a batch, and SIGKILLs itself the moment
 * writeSpans resolves (what a receiver does right before answering 200, minus the answer). No close(), no exit hooks.
 * argv: <dataDir> <customerId> <runId>
 */
import { writeSync } from 'node:fs';
import { openPGliteStorage } from '../../src/storage/pglite.js';
import { batchOf, smallRun } from './fixtures.js';

const [dataDir, customerId, runId] = process.argv.slice(2);
const storage = await openPGliteStorage({ dataDir });
await storage.migrate();
const { spans } = smallRun(runId);
const res = await storage.writeSpans(batchOf(customerId, spans));
// Synchronous write and kill in the same tick: nothing else (timers, PGlite background work) can run in between.
writeSync(1, JSON.stringify({ inserted: res.inserted, span_ids: spans.map((s) => s.span_id) }) + '\n');
process.kill(process.pid, 'SIGKILL');
