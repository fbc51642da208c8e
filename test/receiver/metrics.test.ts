import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Histogram } from '../../src/metrics/histogram.js';
import { exposition } from '../../src/metrics/exposition.js';
import { capture, devHeaders, startReceiver, waitFor, type Running } from '../helpers/receiver.js';

describe('Prometheus exposition', () => {
  it('renders counters, gauges and cumulative histograms', () => {
    const h = new Histogram([0.1, 1]);
    for (const s of [0.05, 0.5, 0.5, 3, Number.NaN, -1]) h.observe(s);
    const text = exposition([
      { name: 'x_total', help: 'a counter', type: 'counter', value: 3 },
      { name: 'x_seconds', help: 'a histogram', type: 'histogram', histogram: h },
    ]);
    expect(text).toBe(
      [
        '# HELP x_total a counter',
        '# TYPE x_total counter',
        'x_total 3',
        '# HELP x_seconds a histogram',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{le="0.1"} 1',
        'x_seconds_bucket{le="1"} 3',
        'x_seconds_bucket{le="+Inf"} 4',
        'x_seconds_sum 4.05',
        'x_seconds_count 4',
        '',
      ].join('\n'),
    );
  });
});

describe('GET /metrics', () => {
  let r: Running;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(() => r.close());

  it('counts what the receiver did: spans, completed runs and how long judging took', async () => {
    const res = await fetch(`${r.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: capture('traceloop-python') });
    expect(res.status).toBe(200);
    const text = await waitFor(async () => {
      const t = await (await fetch(`${r.url}/metrics`)).text();
      return /dunetrace_runs_completed_total 1\b/.test(t) ? t : null;
    });
    expect(text).toMatch(/^dunetrace_spans_accepted_total [1-9]\d*$/m);
    expect(text).toMatch(/^dunetrace_open_runs 0$/m);
    expect(text).toMatch(/^dunetrace_database_up 1$/m);
    expect(text).toMatch(/^dunetrace_run_completion_seconds_count 1$/m);
    expect(text).toMatch(/^# TYPE dunetrace_run_completion_seconds histogram$/m);
    expect(text).not.toMatch(/dunetrace_alert/); // no channel configured
  });
});
