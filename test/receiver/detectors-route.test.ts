import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DETECTORS } from '../../src/detectors/index.js';
import { DEV_KEY, inProcessReceiver, waitFor, type InProcess } from '../helpers/receiver.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dt-detroute-'));
const file = path.join(dir, 'detectors.yml');
const YML = [
  'default:',
  '  tool_loop:',
  '    shadow: true',
  '    threshold: 4',
  '  scattershot_tool_use:',
  '    shadow: false',
  '"quiet-*":',
  '  slow_step:',
  '    enabled: false',
  '',
].join('\n');

let r: InProcess;
beforeAll(async () => {
  writeFileSync(file, YML);
  r = await inProcessReceiver({ DUNETRACE_DETECTORS: file, LOG_LEVEL: 'info' });
  // The reload log lines stay off stdout.
  vi.spyOn(r.receiver.app.log, 'info').mockImplementation(() => undefined);
});
afterAll(async () => {
  await r?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string, key: string | null = DEV_KEY) => {
  const res = await r.fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: (await res.json()) as any };
};
const byKey = (body: any) => new Map<string, any>(body.detectors.map((d: any) => [d.key, d]));

describe('GET /v1/detectors', () => {
  it('needs an API key like every /v1 route', async () => {
    expect((await get('/v1/detectors', null)).status).toBe(401);
  });

  it('lists every registered detector with severities, mode as configured, parameters and what it reads', async () => {
    const { status, body } = await get('/v1/detectors');
    expect(status).toBe(200);
    expect(body.detectors.map((d: any) => d.failure_type)).toEqual(DETECTORS.map((d) => d.failure_type));
    expect(body).toMatchObject({ agent: null, sections: [], source: 'file' });
    const d = byKey(body);
    // from the file: tool_loop moved to shadow with its threshold, scattershot moved to live
    expect(d.get('tool_loop')).toMatchObject({ mode: 'shadow', shadow: true, shadow_by_default: false, severities: ['HIGH'], reads: ['tool.args_hash'] });
    expect(d.get('tool_loop').parameters).toEqual([
      { name: 'threshold', value: 4, default: 3, description: expect.stringContaining('count') },
      { name: 'window', value: 5, default: 5, description: expect.any(String) },
    ]);
    expect(d.get('scattershot_tool_use')).toMatchObject({ mode: 'live', shadow_by_default: true });
    // shipped defaults elsewhere
    expect(d.get('oversized_tool_arguments')).toMatchObject({ mode: 'shadow', in_flight: true, reads: ['tool.args_length'] });
    expect(d.get('model_fallback_drift')).toMatchObject({ mode: 'live', severities: ['MEDIUM'], reads: [] });
    expect(d.get('slow_step')).toMatchObject({ mode: 'live', enabled: true });
    const modes = body.detectors.map((x: any) => x.mode);
    expect(body.counts).toEqual({
      total: DETECTORS.length,
      live: modes.filter((m: string) => m === 'live').length,
      shadow: modes.filter((m: string) => m === 'shadow').length,
      disabled: 0,
    });
    for (const x of body.detectors) {
      expect(x.description, x.key).toMatch(/\S/);
      expect(Array.isArray(x.reads), x.key).toBe(true);
      expect(x.severities.length, x.key).toBeGreaterThan(0);
    }
  });

  it('agent= resolves that agent’s sections', async () => {
    const { body } = await get('/v1/detectors?agent=quiet-bot');
    expect(body).toMatchObject({ agent: 'quiet-bot', sections: ['quiet-*'] });
    expect(byKey(body).get('slow_step')).toMatchObject({ mode: 'disabled', enabled: false });
    expect(body.counts.disabled).toBe(1);
    expect(byKey((await get('/v1/detectors?agent=loud-bot')).body).get('slow_step').mode).toBe('live');
  });

  it('refuses unknown parameters', async () => {
    const { status, body } = await get('/v1/detectors?agnet=x');
    expect(status).toBe(400);
    expect(body).toMatchObject({ parameter: 'agnet' });
  });

  it('shows the configuration in force after a reload', async () => {
    writeFileSync(file, YML.replace('    shadow: true\n    threshold: 4', '    shadow: false\n    threshold: 4'));
    const body = await waitFor(async () => {
      const b = (await get('/v1/detectors')).body;
      return byKey(b).get('tool_loop').mode === 'live' ? b : null;
    });
    expect(byKey(body).get('tool_loop').parameters[0]).toMatchObject({ value: 4 });
  });
});
