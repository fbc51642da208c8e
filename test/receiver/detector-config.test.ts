import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freshDataDir } from '../helpers/pglite-template.js';
import { runCli, startReceiverProcess } from '../helpers/process.js';
import { devHeaders, fetchOf, inProcessReceiver, waitFor, waitForClosedRun, type Target } from '../helpers/receiver.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'dt-detcfg-'));
  dirs.push(d);
  return d;
};

const post = (target: Target, body: string) => fetchOf(target)('/v1/traces', { method: 'POST', headers: devHeaders(), body });
const signalTypes = (run: any) => run.signals.map((s: any) => `${s.failure_type}${s.shadow ? ':shadow' : ''}`).sort();

describe('detectors.yml in the receiver', () => {
  it('a bad file stops the service with file, line and key', async () => {
    const file = path.join(tmp(), 'detectors.yml');
    writeFileSync(file, 'default:\n  tool_loop:\n    treshold: 3\n');
    const r = await runCli(['receiver'], { DUNETRACE_DETECTORS: file, PORT: '0', DUNETRACE_GRPC_PORT: 'off', DUNETRACE_DATA_DIR: 'memory://' });
    expect(r.code).toBe(2);
    expect(r.output).toContain(`${file}:3: default.tool_loop.treshold: unknown parameter`);
  }, 60_000);

  it('per-agent sections (exact and glob) apply: disabled is silent, shadow is stored but marked', async () => {
    const file = path.join(tmp(), 'detectors.yml');
    writeFileSync(file, ['"quiet-*":', '  tool_loop:', '    enabled: false', 'shadowed-agent:', '  tool_loop:', '    shadow: true', ''].join('\n'));
    const r = await inProcessReceiver({ DUNETRACE_DETECTORS: file });
    try {
      const ids = { loud: newTraceId(), quiet: newTraceId(), shadow: newTraceId() };
      await post(r.fetch, loopingRun(ids.loud, { agentId: 'loud-agent' }).all);
      await post(r.fetch, loopingRun(ids.quiet, { agentId: 'quiet-agent' }).all);
      await post(r.fetch, loopingRun(ids.shadow, { agentId: 'shadowed-agent' }).all);
      expect(signalTypes(await waitForClosedRun(r.fetch, ids.loud))).toContain('TOOL_LOOP');
      expect(signalTypes(await waitForClosedRun(r.fetch, ids.quiet))).not.toContain('TOOL_LOOP');
      expect(signalTypes(await waitForClosedRun(r.fetch, ids.shadow))).toContain('TOOL_LOOP:shadow');
    } finally {
      await r.close();
    }
  });

  it('reloads when the file changes; a bad edit keeps the running configuration', async () => {
    const dir = tmp();
    const file = path.join(dir, 'detectors.yml');
    writeFileSync(file, 'default:\n  tool_loop:\n    enabled: false\n');
    const r = await inProcessReceiver({ DUNETRACE_DETECTORS: file, LOG_LEVEL: 'info' });
    // What the watcher logs, kept off stdout: the test waits for "reloaded" / "NOT reloaded" instead of sleeping.
    const spies = [vi.spyOn(r.receiver.app.log, 'info'), vi.spyOn(r.receiver.app.log, 'error')];
    for (const spy of spies) spy.mockImplementation(() => undefined);
    const logged = () => spies.flatMap((spy) => spy.mock.calls.map((call) => JSON.stringify(call)));
    const clearLog = () => spies.forEach((spy) => spy.mockClear());
    try {
      const a = newTraceId();
      await post(r.fetch, loopingRun(a).all);
      expect(signalTypes(await waitForClosedRun(r.fetch, a))).not.toContain('TOOL_LOOP');

      clearLog();
      writeFileSync(file, 'default:\n  tool_loop:\n    enabled: true\n    threshold: 4\n');
      await waitFor(async () => logged().find((l) => l.includes('detector configuration reloaded')));
      expect(logged().join('\n')).toContain('"reason":"file changed"');
      // Threshold 4 of 5: five calls loop, four do not.
      const five = newTraceId();
      await post(r.fetch, loopingRun(five, { calls: 5 }).all);
      expect(signalTypes(await waitForClosedRun(r.fetch, five))).toContain('TOOL_LOOP');
      const four = newTraceId();
      await post(r.fetch, loopingRun(four, { calls: 4 }).all);
      expect(signalTypes(await waitForClosedRun(r.fetch, four))).not.toContain('TOOL_LOOP');

      clearLog();
      writeFileSync(file, 'default:\n  tool_loop:\n    threshold: "many"\n');
      const refused = await waitFor(async () => logged().find((l) => l.includes('NOT reloaded')));
      expect(refused).toContain(`${file}:3: default.tool_loop.threshold`);
      const still = newTraceId();
      await post(r.fetch, loopingRun(still, { calls: 5 }).all);
      expect(signalTypes(await waitForClosedRun(r.fetch, still))).toContain('TOOL_LOOP');
      expect(logged().some((l) => l.includes('detector configuration reloaded'))).toBe(false);
    } finally {
      await r.close();
    }
  });

  it('SIGHUP reloads a running receiver process', async () => {
    const file = path.join(tmp(), 'detectors.yml');
    writeFileSync(file, 'default:\n  tool_loop:\n    enabled: true\n');
    const data = await freshDataDir();
    const p = await startReceiverProcess({ DUNETRACE_DETECTORS: file, DUNETRACE_DATA_DIR: data.dir });
    try {
      writeFileSync(file, 'default:\n  tool_loop:\n    enabled: false\n');
      p.child.kill('SIGHUP');
      await waitFor(async () => /"reason":"SIGHUP"[^\n]*detector configuration reloaded/.test(p.output()), 10_000);
      expect(p.child.exitCode).toBeNull(); // SIGHUP reloads, it does not stop the service
      expect((await fetch(`${p.url}/health`)).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      data.remove();
    }
  }, 90_000);
});
