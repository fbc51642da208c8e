import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';

/** `npm run example` (tsx examples/traceloop-agent.ts) prints the run and its TOOL_LOOP signal within a minute. */
describe('npm run example', () => {
  it('runs the Traceloop + openai agent against an embedded receiver and prints TOOL_LOOP', async () => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/traceloop-agent.ts'], {
      cwd: process.cwd(),
      env: { ...process.env, DUNETRACE_ENDPOINT: '', DUNETRACE_API_KEY: '' },
    });
    onTestFinished(() => void child.kill('SIGKILL')); // a timed-out run must not leave the example running
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/status=completed\s+exit=final_answer/);
    expect(out).toMatch(/TOOL_LOOP HIGH confidence=0\.95/);
    expect(out).toMatch(/"droppedSpans":0/);
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 90_000);
});
