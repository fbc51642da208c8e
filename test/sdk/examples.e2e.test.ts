import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * `npm run example -- <name>`: every way-in example runs offline and prints the TOOL_LOOP it causes (the dispatcher
 * examples/index.ts is what `npm run example` runs; without a name it runs the Traceloop example, tested in
 * test/processor/example.e2e.test.ts).
 */
const NAMES = ['sdk', 'decorator', 'express', 'fastify', 'hono', 'fetch', 'langchain'];

function runExample(name: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/index.ts', name], {
      cwd: process.cwd(),
      env: { ...process.env, DUNETRACE_ENDPOINT: '', DUNETRACE_API_KEY: '' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('npm run example -- <name>', () => {
  it('each example exits 0 and prints its run with a TOOL_LOOP', async () => {
    const results: Record<string, { code: number | null; out: string }> = {};
    // Two at a time: each starts a receiver with an embedded database.
    for (let i = 0; i < NAMES.length; i += 2) {
      const batch = NAMES.slice(i, i + 2);
      const done = await Promise.all(batch.map(runExample));
      batch.forEach((n, j) => (results[n] = done[j]));
    }
    for (const name of NAMES) {
      const { code, out } = results[name];
      expect(code, `${name}:\n${out}`).toBe(0);
      expect(out, name).toMatch(/status=completed\s+exit=final_answer/);
      expect(out, name).toMatch(/TOOL_LOOP HIGH confidence=0\.95/);
    }
  }, 300_000);

  it('an unknown name is refused with the list', async () => {
    const { code, out } = await runExample('nope');
    expect(code).toBe(2);
    expect(out).toMatch(/unknown example "nope"; one of: traceloop, sdk, decorator, express/);
  });
});
