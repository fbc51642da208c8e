import { describe, expect, it } from 'vitest';
import { SaturatedError } from '../../src/errors/index.js';
import { Admission } from '../../src/pipeline/index.js';
import { capture, devHeaders, startReceiver } from '../helpers/receiver.js';

describe('Admission', () => {
  it('admits maxActive at once, queues maxWaiting, refuses beyond, and hands slots over in order', async () => {
    const gate = new Admission(2, 1);
    const first = await gate.acquire();
    const second = await gate.acquire();
    const order: string[] = [];
    const third = gate.acquire().then((release) => {
      order.push('third');
      return release;
    });
    await expect(gate.acquire()).rejects.toBeInstanceOf(SaturatedError); // one waiting already: saturated
    expect(gate.refused).toBe(1);
    expect(gate.queued).toBe(1);
    first();
    first(); // releasing twice frees one slot only
    const releaseThird = await third;
    expect(order).toEqual(['third']);
    expect(gate.inFlight).toBe(2);
    second();
    releaseThird();
    expect(gate.inFlight).toBe(0);
  });
});

describe('backpressure at the OTLP route', () => {
  it('answers 503 + Retry-After when saturated, counts it on /health, and accepts again once a slot frees', async () => {
    const admission = new Admission(1, 0);
    const r = await startReceiver({}, { admission });
    try {
      const hold = await admission.acquire(); // the one slot is taken
      const res = await fetch(`${r.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: capture('traceloop-python') });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('connection')).toBe('close');
      expect(((await res.json()) as { message: string }).message).toMatch(/busy/);
      const health = (await (await fetch(`${r.url}/health`)).json()) as { exports_throttled: number };
      expect(health.exports_throttled).toBe(1);
      hold();
      expect((await fetch(`${r.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: capture('traceloop-python') })).status).toBe(200);
    } finally {
      await r.close();
    }
  });
});
