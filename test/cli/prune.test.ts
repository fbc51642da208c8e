import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeAdminHandle } from '../../src/receiver/admin-handle.js';
import { loadConfig, parseRetention } from '../../src/receiver/config.js';
import { startPruning } from '../../src/storage/index.js';
import { openPGliteStorage } from '../../src/storage/pglite.js';
import type { SqlStorage } from '../../src/storage/sql-storage.js';
import type { PruneReport } from '../../src/storage/types.js';
import { runCli } from '../helpers/process.js';
import { startReceiver, type Running } from '../helpers/receiver.js';
import { batchOf, newCustomer, signal, smallRun } from '../storage/fixtures.js';

/**
 * `dunetrace prune [--dry-run]` from source in a child process, through a real receiver's admin route (as the keys
 * commands go). The receiver's storage runs on a clock the test moves, with a 1-hour retention and 10-minute partitions.
 */

let t = Date.parse('2026-04-01T08:00:00Z');
let storage: SqlStorage;
let r: Running;
const dataDir = mkdtempSync(path.join(tmpdir(), 'dt-prune-cli-'));
const customer = newCustomer();
const closed = smallRun();
const open = smallRun();

beforeAll(async () => {
  storage = await openPGliteStorage({ dataDir: 'memory://', now: () => t, retentionSeconds: 3600, partitionMinutes: 10 });
  r = await startReceiver({}, { storage });
  await writeAdminHandle(dataDir, { pid: process.pid, url: r.url, token: r.receiver.adminToken });
  await storage.writeSpans(batchOf(customer, [...closed.spans, ...open.spans]));
  await storage.saveSignals([signal(customer, closed.runId)]);
  await storage.closeRun({
    customer_id: customer,
    run_id: closed.runId,
    status: 'completed',
    exit_reason: 'completed',
    agent_id: 'support-bot',
    agent_version: '1.4.2',
    started_at: 1,
    ended_at: 2,
    step_count: 3,
  });
});
afterAll(async () => {
  await r?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(['prune', ...args], { DUNETRACE_DATA_DIR: dataDir, FORCE_COLOR: '0' });

describe('dunetrace prune', () => {
  it('says there is nothing to prune while nothing has expired', async () => {
    const res = await cli(['--dry-run']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^nothing to prune at 2026-04-01 08:00:00 UTC: no partition has expired \(\d+ kept\)\.\n$/);
  });

  it('--dry-run shows what would go and removes nothing; then prune removes it, keeping the open run', async () => {
    t += 80 * 60_000; // past the 1-hour retention and the 10-minute partition holding both runs
    const dry = await cli(['--dry-run']);
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^EXPIRED PARTITION \(UTC\)\s+RUNS\s+SPANS\s+SIGNALS\s+OPEN RUNS KEPT$/);
    expect(lines[1]).toMatch(/^2026-04-01 09:00:00 – 2026-04-01 09:10:00\s+1\s+3\s+1\s+1$/);
    expect(lines.slice(2)).toEqual([
      '',
      'dry run: would remove 1 partition(s): 1 runs, 3 spans (events included), 1 signals; 1 open run(s) kept; 0 partition(s) not expired.',
      'nothing was removed: run `dunetrace prune` to remove it.',
    ]);
    expect(await storage.getRun(customer, closed.runId)).toMatchObject({ status: 'completed' });

    const json = await cli(['--dry-run', '--json']);
    const report = JSON.parse(json.stdout) as PruneReport;
    expect(report).toMatchObject({ dry_run: true, partitions: [{ runs: 1, spans: 3, signals: 1, open_runs_kept: 1 }] });

    const real = await cli([]);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('removed 1 partition(s): 1 runs, 3 spans (events included), 1 signals; 1 open run(s) kept;');
    expect(real.stdout).not.toContain('dry run');
    expect(await storage.getRun(customer, closed.runId)).toBeNull();
    expect(await storage.listRunSignals(customer, closed.runId)).toEqual([]);
    expect(await storage.getRun(customer, open.runId)).toMatchObject({ status: 'open', span_count: 3 });
  });

  it('without a running receiver: says how to start one, exit 3', async () => {
    const res = await runCli(['prune', '--dry-run'], { DUNETRACE_DATA_DIR: path.join(dataDir, 'none') });
    expect(res.code).toBe(3);
    expect(res.output).toContain('no receiver is running');
  });
});

describe('scheduled pruning', () => {
  it('prunes at start, then every interval, one at a time, and logs only when partitions went', async () => {
    vi.useFakeTimers();
    try {
      const calls: number[] = [];
      let release: (() => void) | null = null;
      const report = (n: number): PruneReport => ({
        dry_run: false,
        at: new Date(),
        kept: 1,
        partitions: Array.from({ length: n }, () => ({ expires_from: new Date(0), expires_to: new Date(1), runs: 2, spans: 5, signals: 1, open_runs_kept: 0 })),
      });
      const stub = {
        prune: () => {
          calls.push(Date.now());
          // The second prune is slow: ticks that come while it runs are skipped, not stacked.
          if (calls.length === 2) return new Promise<PruneReport>((resolve) => (release = () => resolve(report(1))));
          return Promise.resolve(report(0));
        },
      };
      const logs: { msg: string; obj: object }[] = [];
      const log = { info: (obj: object, msg: string) => logs.push({ obj, msg }), warn: (obj: object, msg: string) => logs.push({ obj, msg }) };
      const stop = startPruning(stub, log, 60_000);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(calls).toHaveLength(2);
      (release as (() => void) | null)?.();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(calls).toHaveLength(3);
      expect(logs).toEqual([{ msg: 'retention: dropped expired partitions', obj: { partitions: 1, runs: 2, spans: 5, signals: 1, open_runs_kept: 0 } }]);
      stop();
      await vi.advanceTimersByTimeAsync(600_000);
      expect(calls).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('DUNETRACE_RETENTION', () => {
  it('takes days by default and s/m/h/d units; refuses less than a minute or garbage, naming the variable', () => {
    expect(loadConfig({}).retentionSeconds).toBe(30 * 86_400);
    expect([parseRetention('7'), parseRetention('12h'), parseRetention('90m'), parseRetention('3600s'), parseRetention('1.5d')]).toEqual([
      7 * 86_400,
      12 * 3600,
      5400,
      3600,
      129_600,
    ]);
    expect([parseRetention('30s'), parseRetention('forever'), parseRetention('-1d')]).toEqual([null, null, null]);
    expect(() => loadConfig({ DUNETRACE_RETENTION: 'forever' })).toThrow(/DUNETRACE_RETENTION="forever": a duration of at least a minute/);
    expect(loadConfig({ DUNETRACE_RETENTION: '2h', DUNETRACE_PARTITION_MINUTES: '15' })).toMatchObject({ retentionSeconds: 7200, partitionMinutes: 15 });
  });
});
