import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';

/**
 * `npm run example` (tsx examples/traceloop-agent.ts) prints the run and its TOOL_LOOP signal. How fast is not asserted
 * here (no timed assertion in `npm test`; the test's own timeout only stops a hung example).
 */
describe('npm run example', () => {
  it('runs the Traceloop + openai agent against an embedded receiver and prints TOOL_LOOP', async () => {
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
  }, 90_000);
});
