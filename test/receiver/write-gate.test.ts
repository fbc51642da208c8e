import { describe, expect, it } from 'vitest';
import { WriteGate } from '../../src/receiver/write-gate.js';
import { capture, devHeaders, startReceiver } from '../helpers/receiver.js';

describe('WriteGate', () => {
  it('admits maxActive at once, queues maxWaiting, refuses beyond, and hands slots over in order', async () => {
    const gate = new WriteGate(2, 1);
    expect(await gate.acquire()).toBe(true);
    expect(await gate.acquire()).toBe(true);
    const order: string[] = [];
    const third = gate.acquire().then((ok) => order.push(`third:${ok}`));
    expect(await gate.acquire()).toBe(false); // one waiting already: saturated
    expect(gate.queued).toBe(1);
    gate.release();
    await third;
    expect(order).toEqual(['third:true']);
    expect(gate.inFlight).toBe(2);
    gate.release();
    gate.release();
    expect(gate.inFlight).toBe(0);
  });
});

describe('backpressure at the OTLP route', () => {
  it('answers 503 + Retry-After when the write gate is saturated, and accepts again once it frees', async () => {
    const r = await startReceiver();
    try {
      const ctx = r.receiver.ctx;
      const real = ctx.writes;
      ctx.writes = new WriteGate(0, 0);
      const res = await fetch(`${r.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: capture('traceloop-python') });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { message: string }).message).toMatch(/busy/);
      const health = (await (await fetch(`${r.url}/health`)).json()) as { exports_throttled: number };
      expect(health.exports_throttled).toBe(1);
      ctx.writes = real;
      expect((await fetch(`${r.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: capture('traceloop-python') })).status).toBe(200);
    } finally {
      await r.close();
    }
  });
});
