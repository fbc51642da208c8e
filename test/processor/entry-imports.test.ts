import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Importing 'dunetrace-otel' (src/index.ts) must not load the receiver, fastify, pg or PGlite: an agent process pays
 * for the processor and the pure mapping core only. Checked at run time in a child process: an ESM resolve hook
 * records every module URL, and the CommonJS cache lists every require()d file.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'dt-imports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modulesLoadedBy(entry: string): string[] {
  const log = path.join(dir, `${path.basename(path.dirname(entry))}-${path.basename(entry)}.log`);
  const code = `
    const m = await import(${JSON.stringify(entry)});
    if (Object.keys(m).length === 0) throw new Error('empty module');
    const { createRequire } = await import('node:module');
    const req = createRequire(process.cwd() + '/noop.js');
    console.log(JSON.stringify(Object.keys(req.cache)));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/processor/fixtures/record-loads.mjs', '--input-type=module', '-e', code], {
    cwd: process.cwd(),
    encoding: 'utf8',
    env: { ...process.env, LOAD_LOG: log },
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const esm = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const cjs = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as string[];
  return [...esm, ...cjs.map((p) => `file://${p}`)];
}

const FORBIDDEN = [
  /\/node_modules\/fastify\//,
  /\/node_modules\/pg\//,
  /\/node_modules\/pg-[a-z-]+\//,
  /\/node_modules\/@electric-sql\/pglite/,
  // src/alerts/signature.ts is allowed: the entry re-exports verifySignature (node:crypto only) for webhook consumers.
  new RegExp(`^file://${process.cwd()}/src/(receiver|storage|alerts/(?!signature\\.ts)|dashboard|detectors|runs|cli|otlp/(?!model))`),
];

describe("the package entry point ('dunetrace-otel' → src/index.ts)", () => {
  it('loads the processor and the mapping core, and none of fastify, pg, PGlite or the receiver', () => {
    const loaded = modulesLoadedBy('./src/index.ts');
    expect(loaded.some((u) => u.includes('/src/processor/processor.ts'))).toBe(true);
    expect(loaded.some((u) => u.includes('/src/mapping/redact.ts'))).toBe(true);
    const bad = loaded.filter((u) => FORBIDDEN.some((re) => re.test(u)));
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it('the check sees them when they are loaded (control: the receiver entry point loads fastify; its drivers load lazily)', () => {
    const loaded = modulesLoadedBy('./src/receiver/index.ts');
    expect(loaded.some((u) => /\/node_modules\/fastify\//.test(u))).toBe(true);
    expect(loaded.some((u) => u.includes('/src/receiver/app.ts'))).toBe(true);
  });

  it("'dunetrace-otel/sdk' (src/sdk/index.ts, middleware included) loads none of them, nor gRPC or a framework", () => {
    const loaded = modulesLoadedBy('./src/sdk/index.ts');
    expect(loaded.some((u) => u.includes('/src/sdk/client.ts'))).toBe(true);
    expect(loaded.some((u) => u.includes('/src/processor/processor.ts'))).toBe(true);
    const frameworks = [/\/node_modules\/@grpc\//, /\/node_modules\/(express|hono|@langchain)\//];
    const bad = loaded.filter((u) => [...FORBIDDEN, ...frameworks].some((re) => re.test(u)));
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it("'dunetrace-otel/langchain' loads @langchain/core (its optional peer) and the SDK, none of the receiver's modules", () => {
    const loaded = modulesLoadedBy('./src/langchain/index.ts');
    expect(loaded.some((u) => u.includes('/node_modules/@langchain/core/'))).toBe(true);
    const bad = loaded.filter((u) => FORBIDDEN.some((re) => re.test(u)));
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it('exports the processor and the mapping functions', async () => {
    const m = await import('../../src/index.js');
    expect(typeof m.DunetraceSpanProcessor).toBe('function');
    for (const fn of ['classify', 'redactAttributes', 'redactSpan', 'createHasher', 'isContentAttribute', 'scanForInjection', 'mapSpan']) {
      expect(typeof (m as Record<string, unknown>)[fn], fn).toBe('function');
    }
  });
});
