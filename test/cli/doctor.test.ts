import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthyRun, postTrace, randomRunId, UNKNOWN_SPAN_CANARY } from '../api/helpers.js';
import { runCli } from '../helpers/process.js';
import { startReceiver, waitForClosedRun, type Running } from '../helpers/receiver.js';
import { exportUnknownSpansRun } from '../helpers/unknown-spans.js';

/**
 * `dunetrace doctor` from source in a child process against a real receiver: a Vercel AI-shaped run with operations
 * the mapping does not know (ai.foo ×2, ai.bar), sent by the real OTLP/HTTP exporter, and a clean agent.
 */

let r: Running;
let env: Record<string, string>;
const cli = (args: string[]) => runCli(['doctor', ...args], env);

beforeAll(async () => {
  r = await startReceiver();
  env = { DUNETRACE_ENDPOINT: r.url, DUNETRACE_API_KEY: '', FORCE_COLOR: '0', ...(process.env.NO_COLOR !== undefined ? { NO_COLOR: '' } : {}) };
  const unknown = await exportUnknownSpansRun(r.url);
  const clean = randomRunId();
  await postTrace(r.url, healthyRun(clean, 'clean-agent'));
  for (const id of [unknown, clean]) await waitForClosedRun(r.url, id);
});
afterAll(async () => r?.close());

describe('dunetrace doctor', () => {
  it('names the unrecognised spans and their scope, says what to change, and exits 5', async () => {
    const { code, stdout, output } = await cli([]);
    expect(code, output).toBe(5);
    expect(stdout).toContain('vercel-ai-agent: 1 of its last 1 completed run(s) were not fully understood');
    expect(stdout).toContain('3 spans from vercel-ai-agent were not recognised: ai.foo (2), ai.bar (1) — scope ai');
    expect(stdout).toMatch(/→ 3 span\(s\) from ai were not recognised \(ai\.foo \(2\), ai\.bar \(1\)\): Vercel AI SDK operations/);
    expect(stdout).toContain('docs/support-matrix.md');
    expect(stdout).toContain('✓ clean-agent: all 1 recent completed run(s) understood');
    expect(output).toContain('1 agent(s) send telemetry that is not fully understood');
    expect(output).not.toContain(UNKNOWN_SPAN_CANARY);
  });

  it('--agent reports one agent: exit 0 when understood, 5 when not, 1 when it has no runs', async () => {
    const clean = await cli(['--agent', 'clean-agent']);
    expect(clean.code, clean.output).toBe(0);
    expect(clean.stdout).toContain('✓ clean-agent: all 1 recent completed run(s) understood');
    const bad = await cli(['--agent', 'vercel-ai-agent']);
    expect(bad.code, bad.output).toBe(5);
    expect(bad.stdout).toContain('ai.foo (2), ai.bar (1)');
    const none = await cli(['--agent', 'nobody']);
    expect(none.code).toBe(1);
    expect(none.output).toContain('no runs of agent "nobody" yet');
  });

  it('--json prints the API documents; bad usage exits 2; an unreachable receiver exits 3', async () => {
    const { code, stdout } = await cli(['--json']);
    expect(code).toBe(5);
    const doc = JSON.parse(stdout);
    expect(doc.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual(['vercel-ai-agent']);
    expect(doc.agents[0].unclassified).toEqual([
      { name: 'ai.foo', scope: 'ai', count: 2 },
      { name: 'ai.bar', scope: 'ai', count: 1 },
    ]);
    expect(stdout).not.toContain(UNKNOWN_SPAN_CANARY);
    expect((await cli(['--bogus'])).code).toBe(2);
    expect((await runCli(['doctor'], { ...env, DUNETRACE_ENDPOINT: 'http://127.0.0.1:9' })).code).toBe(3);
  });
});
