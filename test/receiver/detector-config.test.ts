import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/process.js';
import { devHeaders, startReceiver, waitFor, waitForClosedRun } from '../helpers/receiver.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'dt-detcfg-'));
  dirs.push(d);
  return d;
};

const post = (url: string, body: string) => fetch(`${url}/v1/traces`, { method: 'POST', headers: devHeaders(), body });
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
    const r = await startReceiver({ DUNETRACE_DETECTORS: file });
    try {
      const ids = { loud: newTraceId(), quiet: newTraceId(), shadow: newTraceId() };
      await post(r.url, loopingRun(ids.loud, { agentId: 'loud-agent' }).all);
      await post(r.url, loopingRun(ids.quiet, { agentId: 'quiet-agent' }).all);
      await post(r.url, loopingRun(ids.shadow, { agentId: 'shadowed-agent' }).all);
      expect(signalTypes(await waitForClosedRun(r.url, ids.loud))).toContain('TOOL_LOOP');
      expect(signalTypes(await waitForClosedRun(r.url, ids.quiet))).not.toContain('TOOL_LOOP');
      expect(signalTypes(await waitForClosedRun(r.url, ids.shadow))).toContain('TOOL_LOOP:shadow');
    } finally {
      await r.close();
    }
  });

  it('reloads when the file changes; a bad edit keeps the running configuration', async () => {
    const dir = tmp();
    const file = path.join(dir, 'detectors.yml');
    writeFileSync(file, 'default:\n  tool_loop:\n    enabled: false\n');
    const r = await startReceiver({ DUNETRACE_DETECTORS: file, LOG_LEVEL: 'silent' });
    try {
      const a = newTraceId();
      await post(r.url, loopingRun(a).all);
      expect(signalTypes(await waitForClosedRun(r.url, a))).not.toContain('TOOL_LOOP');

      writeFileSync(file, 'default:\n  tool_loop:\n    enabled: true\n    threshold: 4\n');
      // Threshold 4 of 5: four calls do not loop, five do; wait until the new file is live.
      await waitFor(
        async () => {
          const id = newTraceId();
          await post(r.url, loopingRun(id, { calls: 5 }).all);
          return signalTypes(await waitForClosedRun(r.url, id)).includes('TOOL_LOOP');
        },
        10_000,
        200,
      );
      const four = newTraceId();
      await post(r.url, loopingRun(four, { calls: 4 }).all);
      expect(signalTypes(await waitForClosedRun(r.url, four))).not.toContain('TOOL_LOOP');

      writeFileSync(file, 'default:\n  tool_loop:\n    threshold: "many"\n');
      await new Promise((res) => setTimeout(res, 600));
      const still = newTraceId();
      await post(r.url, loopingRun(still, { calls: 5 }).all);
      expect(signalTypes(await waitForClosedRun(r.url, still))).toContain('TOOL_LOOP');
    } finally {
      await r.close();
    }
  });

  it('SIGHUP reloads a running receiver process', async () => {
    const file = path.join(tmp(), 'detectors.yml');
    writeFileSync(file, 'default:\n  tool_loop:\n    enabled: true\n');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const p = spawnCli(['receiver'], { DUNETRACE_DETECTORS: file, PORT: String(port), DUNETRACE_GRPC_PORT: 'off', DUNETRACE_DATA_DIR: 'memory://' });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200, 60_000, 200);
      writeFileSync(file, 'default:\n  tool_loop:\n    enabled: false\n');
      p.child.kill('SIGHUP');
      await waitFor(async () => /"reason":"SIGHUP"[^\n]*detector configuration reloaded/.test(p.output()), 10_000);
      expect(p.child.exitCode).toBeNull(); // SIGHUP reloads, it does not stop the service
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }, 90_000);
});
