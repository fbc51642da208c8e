import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';
import { runCli } from '../helpers/process.js';
import { startReceiver, waitFor, waitForClosedRun, type Running } from '../helpers/receiver.js';
import { emptyResponseRun, getJson, healthyRun, postTrace, randomRunId } from '../api/helpers.js';

/**
 * `dunetrace alerts` and `dunetrace runs …` run from source in a child process against a real receiver (in-process,
 * real HTTP). stdout is a pipe here, so tables must come without colour unless FORCE_COLOR says otherwise.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const ESC = '\x1b[';

let r: Running;
let env: Record<string, string>;
const loopRun = newTraceId();
const emptyRun = randomRunId();
const okRun = randomRunId();

const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });

/** Lines of stdout; every line's cells start where the header's columns do. */
function columns(stdout: string) {
  const lines = stdout.trimEnd().split('\n');
  const head = lines[0];
  return { head, rows: lines.slice(1), at: (name: string) => head.indexOf(name) };
}

beforeAll(async () => {
  r = await startReceiver();
  // Colour settings of whoever runs the tests must not leak in. (Node warns when NO_COLOR and FORCE_COLOR are both
  // defined, even empty: only blank NO_COLOR when it is set.)
  env = { DUNETRACE_ENDPOINT: r.url, DUNETRACE_API_KEY: '', FORCE_COLOR: '0', ...(process.env.NO_COLOR !== undefined ? { NO_COLOR: '' } : {}) };
  await postTrace(r.url, loopingRun(loopRun).all);
  await postTrace(r.url, emptyResponseRun(emptyRun));
  await postTrace(r.url, healthyRun(okRun));
  for (const id of [loopRun, emptyRun, okRun]) await waitForClosedRun(r.url, id);
});
afterAll(async () => r?.close());

describe('dunetrace alerts', () => {
  it('prints an aligned table without colour when stdout is not a TTY', async () => {
    const { code, stdout, output } = await cli(['alerts']);
    expect(code, output).toBe(0);
    expect(output).not.toContain(ESC);
    const { head, rows, at } = columns(stdout);
    expect(head).toMatch(/^DETECTED \(UTC\)\s+SEVERITY\s+TYPE\s+AGENT\s+RUN\s+STEP\s+TITLE$/);
    expect(rows).toHaveLength(3); // TOOL_LOOP, EMPTY_LLM_RESPONSE, FIRST_STEP_FAILURE
    const loop = rows.find((l) => l.includes('TOOL_LOOP'))!;
    expect(loop.indexOf('HIGH')).toBe(at('SEVERITY'));
    expect(loop.indexOf('TOOL_LOOP')).toBe(at('TYPE'));
    expect(loop.indexOf('looping-agent')).toBe(at('AGENT'));
    expect(loop.indexOf(loopRun)).toBe(at('RUN'));
    expect(loop.indexOf('Tool loop: search called 5 times')).toBe(at('TITLE'));
    for (const row of rows) {
      expect(row.slice(at('DETECTED'), at('SEVERITY')).trim()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(row.slice(at('RUN'), at('STEP') + 4).trim()).toMatch(/^[0-9a-f]{32}\s+\d+$/); // STEP right-aligned under its header
      expect(row[at('STEP') + 3]).toMatch(/\d/);
    }
    expect(output).toContain('1–3 of 3 alerts');
  });

  it('--json is one JSON document; filters pass through', async () => {
    const [all, high, agent, type, since] = await Promise.all([
      cli(['alerts', '--json']),
      cli(['alerts', '--json', '--severity', 'HIGH']),
      cli(['alerts', '--json', '--agent', 'empty-agent']),
      cli(['alerts', '--json', '--type', 'TOOL_LOOP,RETRY_STORM']),
      cli(['alerts', '--json', '--since', '1h', '--limit', '2']),
    ]);
    const doc = JSON.parse(all.stdout);
    expect(Object.keys(doc).sort()).toEqual(['page', 'signals']);
    expect(doc.page).toMatchObject({ total: 3, has_more: false });
    expect(doc).toEqual((await getJson(`${r.url}/v1/signals`)).body); // the API's document, as it is
    expect(doc.signals.find((s: any) => s.failure_type === 'TOOL_LOOP').explanation.title).toMatch(/^Tool loop: search called 5 times/);
    expect(
      JSON.parse(high.stdout)
        .signals.map((s: any) => s.severity)
        .every((s: string) => s === 'HIGH' || s === 'CRITICAL'),
    ).toBe(true);
    expect(JSON.parse(agent.stdout).signals.map((s: any) => s.run_id)).toEqual([emptyRun, emptyRun]);
    expect(JSON.parse(type.stdout).signals.map((s: any) => s.failure_type)).toEqual(['TOOL_LOOP']);
    expect(JSON.parse(since.stdout).page).toEqual({ total: 3, offset: 0, limit: 2, has_more: true });
  });

  it('colours severities only when asked (FORCE_COLOR); NO_COLOR wins; alignment is the same', async () => {
    const [plain, colored, off] = await Promise.all([
      cli(['alerts']),
      cli(['alerts'], { FORCE_COLOR: '1' }),
      cli(['alerts'], { FORCE_COLOR: '1', NO_COLOR: '1' }),
    ]);
    expect(colored.stdout).toContain(`${ESC}31mHIGH${ESC}39m`);
    expect(colored.stdout.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '')).toBe(plain.stdout);
    expect(off.stdout).toBe(plain.stdout);
    expect(off.stdout).not.toContain(ESC);
  });

  it('--follow --json prints each new alert as one NDJSON line; --follow alone as table rows', async () => {
    const json = follow(['alerts', '--follow', '--json', '--agent', 'follow-agent']);
    const table = follow(['alerts', '--follow', '--agent', 'follow-agent']);
    try {
      await Promise.all([
        json.waitFor(() => json.stderr().includes('following alerts from')),
        table.waitFor(() => table.stderr().includes('following alerts from')),
      ]);
      expect(json.stdout()).toBe(''); // nothing old: only what arrives from now on
      const traceId = newTraceId();
      await postTrace(r.url, loopingRun(traceId, { agentId: 'follow-agent' }).all);
      await json.waitFor(() => json.stdout().includes(traceId));
      await table.waitFor(() => table.stdout().includes(traceId));
      const lines = json.stdout().trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({ run_id: traceId, agent_id: 'follow-agent', failure_type: 'TOOL_LOOP', severity: 'HIGH' });
      const { head, rows, at } = columns(table.stdout());
      expect(head).toMatch(/^DETECTED \(UTC\)\s+SEVERITY\s+TYPE\s+AGENT\s+RUN\s+STEP\s+TITLE$/);
      expect(rows).toHaveLength(1);
      expect(rows[0].indexOf('TOOL_LOOP')).toBe(at('TYPE'));
      expect(rows[0].indexOf(traceId)).toBe(at('RUN'));
      expect(table.stdout()).not.toContain(ESC);
    } finally {
      json.child.kill('SIGTERM');
      table.child.kill('SIGTERM');
    }
    expect(await json.exited).toBe(0);
    expect(await table.exited).toBe(0);
  });
});

describe('dunetrace runs', () => {
  it('runs list: aligned table, newest first; --agent; --json', async () => {
    const [all, agent, json] = await Promise.all([
      cli(['runs', 'list']),
      cli(['runs', 'list', '--agent', 'looping-agent']),
      cli(['runs', 'list', '--json', '--has-signals']),
    ]);
    expect(all.code, all.output).toBe(0);
    expect(all.output).not.toContain(ESC);
    const { head, rows, at } = columns(all.stdout);
    expect(head).toMatch(/^RUN\s+AGENT\s+VERSION\s+STATUS\s+EXIT\s+STARTED \(UTC\)\s+DURATION\s+STEPS\s+SPANS\s+SIGNALS$/);
    // Newest first (other tests may have added runs of other agents).
    expect(rows.map((l) => l.slice(0, 32)).filter((id) => [okRun, emptyRun, loopRun].includes(id))).toEqual([okRun, emptyRun, loopRun]);
    for (const row of rows) {
      expect(row.indexOf('completed')).toBe(at('STATUS'));
      expect(row.indexOf('-agent')).toBeGreaterThan(at('AGENT'));
      expect(row.slice(at('SIGNALS'), at('SIGNALS') + 7).trim()).toMatch(/^\d+$/);
      expect(row.length).toBe(head.length); // SIGNALS is right-aligned to its header's end
    }
    expect(rows.find((l) => l.startsWith(loopRun))).toMatch(/looping-agent\s+\S+\s+completed\s+completed\s+\S+ \S+\s+1\.2 s\s+5\s+6\s+1$/);
    expect(columns(agent.stdout).rows.map((l) => l.slice(0, 32))).toEqual([loopRun]);
    const doc = JSON.parse(json.stdout);
    const ids = doc.runs.map((x: any) => x.run_id);
    expect(ids).toEqual(expect.arrayContaining([emptyRun, loopRun]));
    expect(ids).not.toContain(okRun);
    expect(doc.runs.every((x: any) => x.has_signals)).toBe(true);
    expect(doc.page).toMatchObject({ total: ids.length, has_more: false });
  });

  it('runs show: header, step timeline, signals with explanation and fix; --json', async () => {
    const [show, json] = await Promise.all([cli(['runs', 'show', loopRun]), cli(['runs', 'show', loopRun, '--json'])]);
    expect(show.code, show.output).toBe(0);
    const out = show.stdout;
    expect(out).not.toContain(ESC);
    expect(out).toContain(`Run ${loopRun}`);
    expect(out).toMatch(/agent\s+looping-agent \(version \w+\)/);
    expect(out).toMatch(/status\s+completed \(exit: completed\)/);
    expect(out).toMatch(/steps\s+5\s+spans 6\s+signals 1/);
    const timeline = out.split('Timeline\n')[1].split('\n\nSignals')[0].split('\n');
    expect(timeline[0]).toMatch(/^\s+STEP\s+TYPE\s+NAME\s+LATENCY\s+TOKENS \(in\/out\)\s+OK\s+NOTE$/);
    const tools = timeline.filter((l) => /^\s+\d+\s+tool\s+search\s+100 ms\s+-\s+✓/.test(l));
    expect(tools).toHaveLength(5);
    expect(timeline.find((l) => /^\s+3\s+tool/.test(l))).toContain('⚠ TOOL_LOOP');
    expect(timeline.some((l) => /^\s+0\s+start\s+agent\.workflow/.test(l))).toBe(true);
    expect(timeline.some((l) => /^\s+5\s+end\s+completed\s+1\.2 s\s+-\s+✓/.test(l))).toBe(true);
    // Aligned: every row's TYPE cell starts under TYPE.
    const typeAt = timeline[0].indexOf('TYPE');
    for (const l of timeline.slice(1)) expect(l.slice(typeAt)).toMatch(/^(start|tool|end)\b/);
    const signals = out.split('Signals\n')[1];
    expect(signals).toMatch(/HIGH TOOL_LOOP at step 3 \(confidence 0\.95, found (live|at completion)\)/);
    expect(signals).toContain('Tool loop: search called 5 times in 5 calls');
    expect(signals).toContain('The agent called search 5 times within 5 consecutive tool calls');
    expect(signals).toContain('fix: Cap repeated calls of the same tool');
    expect(JSON.parse(json.stdout)).toMatchObject({ run_id: loopRun, signals: [expect.objectContaining({ failure_type: 'TOOL_LOOP' })] });

    const llm = await cli(['runs', 'show', emptyRun]);
    expect(llm.stdout).toMatch(/1\s+llm\s+gpt-4o\s+290 ms\s+120\/0\s+✓\s+finish stop/);
    expect(llm.stdout).toContain('EMPTY_LLM_RESPONSE');
  });

  it('runs show of an unknown run: a clear message, exit 1', async () => {
    const res = await cli(['runs', 'show', randomRunId()]);
    expect(res.code).toBe(1);
    expect(res.output).toMatch(/dunetrace: no run [0-9a-f]{32} \(for this API key\)/);
  });
});

describe('dunetrace detectors', () => {
  it('one row per detector with its mode, severities and what it reads; --json is the API document', async () => {
    const out = await cli(['detectors']);
    expect(out.code).toBe(0);
    const { head, rows, at } = columns(out.stdout);
    expect(head).toMatch(/^DETECTOR +MODE +SEVERITY +IN FLIGHT +READS$/);
    const api = (await getJson(`${r.url}/v1/detectors`)).body as { detectors: { failure_type: string; mode: string; reads: string[] }[] };
    expect(rows.map((l) => l.split(/ +/)[0])).toEqual(api.detectors.map((d) => d.failure_type));
    for (const [i, d] of api.detectors.entries()) {
      expect(rows[i].slice(at('MODE')).split(/ +/)[0], d.failure_type).toBe(d.mode);
      expect(rows[i].slice(at('READS')), d.failure_type).toBe(d.reads.length ? d.reads.join(', ') : 'structure only');
    }
    expect(rows.find((l) => l.startsWith('OVERSIZED_TOOL_ARGUMENTS '))).toMatch(/ shadow +MEDIUM +yes +tool\.args_length$/);
    expect(out.output).toMatch(/^\d+ detectors: \d+ live, \d+ shadow, 0 disabled; default settings/m);
    const json = await cli(['detectors', '--json', '--agent', 'some-agent']);
    expect(JSON.parse(json.stdout)).toMatchObject({ agent: 'some-agent', detectors: api.detectors });
  });
});

describe('errors', () => {
  it('receiver unreachable: says so and how to fix it, exit 3', async () => {
    const port = await closedPort();
    const [byFlag, byEnv] = await Promise.all([
      cli(['alerts', '--endpoint', `http://127.0.0.1:${port}`]),
      cli(['runs', 'list'], { DUNETRACE_ENDPOINT: `http://127.0.0.1:${port}` }),
    ]);
    for (const res of [byFlag, byEnv]) {
      expect(res.code).toBe(3);
      expect(res.output.split('\n')).toContain(
        `dunetrace: cannot reach the receiver at http://127.0.0.1:${port}: connection refused — is \`dunetrace receiver\` running?`,
      );
      expect(res.stdout).toBe('');
    }
    const followed = await cli(['alerts', '--follow', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(followed.code).toBe(3);
    expect(followed.output).toContain('connection refused');
  });

  it('wrong API key: "the receiver refused the API key", exit 4', async () => {
    const bad = `dt_live_${'0'.repeat(32)}`;
    const [byFlag, byEnv, follow] = await Promise.all([
      cli(['alerts', '--api-key', bad]),
      cli(['runs', 'show', loopRun], { DUNETRACE_API_KEY: bad }),
      cli(['alerts', '--follow', '--api-key', bad]),
    ]);
    for (const res of [byFlag, byEnv, follow]) {
      expect(res.code).toBe(4);
      expect(res.output).toContain('dunetrace: the receiver refused the API key: the key dt_live_0000… is unknown or revoked');
      expect(res.output).not.toContain(bad);
    }
  });

  it('bad usage names the flag, exit 2', async () => {
    const [since, unknown, noSub, noId, limit] = await Promise.all([
      cli(['alerts', '--since', 'yesterday']),
      cli(['alerts', '--bogus']),
      cli(['runs']),
      cli(['runs', 'show']),
      cli(['runs', 'list', '--limit', '0']),
    ]);
    expect(since.code).toBe(2);
    expect(since.output).toContain('dunetrace: invalid --since: must be an ISO-8601 time');
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain("Unknown option '--bogus'");
    expect(noSub.code).toBe(2);
    expect(noSub.output).toContain('runs needs a subcommand: list or show');
    expect(noId.code).toBe(2);
    expect(noId.output).toContain('runs show needs a run id');
    expect(limit.code).toBe(2);
    expect(limit.output).toContain('invalid --limit: must be an integer from 1 to 500');
  });

  it('help lists the new commands and options', async () => {
    const { code, stdout } = await cli(['help']);
    expect(code).toBe(0);
    for (const s of [
      'dunetrace receiver',
      'dunetrace keys create',
      'dunetrace alerts',
      'dunetrace alerts --follow',
      'dunetrace runs list',
      'dunetrace runs show RUN_ID',
      'dunetrace detectors',
      '--json',
      '--endpoint URL',
      'DUNETRACE_ENDPOINT',
      '--api-key KEY',
      'DUNETRACE_API_KEY',
      'NO_COLOR',
    ]) {
      expect(stdout).toContain(s);
    }
  });
});

/** A long-running CLI (alerts --follow) with stdout and stderr kept apart. */
function follow(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitFor: (cond: () => boolean) =>
      waitFor(async () => cond() || (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}:\n${out}${err}`)) : false), 20_000, 50).catch(
        (e) => {
          throw new Error(`${(e as Error).message}\nstdout:\n${out}\nstderr:\n${err}`);
        },
      ),
  };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
