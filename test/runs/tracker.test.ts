import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunTracker, type OpenRun } from '../../src/runs/tracker.js';
import { llmSpan, rootSpan, toolSpan } from '../helpers/mapped.js';

// The tracker's grace, idle and retry timers run on fake time: exact instants, no real waiting.
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const item = (span: ReturnType<typeof llmSpan>, agent_id = 'agent-a') => ({ span, agent_id });

describe('RunTracker', () => {
  let tracker: RunTracker;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(async () => {
    await tracker?.stop();
    vi.useRealTimers();
  });

  function make(graceMs: number, idleMs: number) {
    const closed: { run: OpenRun; status: string; at: number }[] = [];
    const live: number[] = [];
    tracker = new RunTracker({
      graceMs,
      idleMs,
      onSpans: (run) => live.push(run.spans.size),
      onClose: async (run, status) => {
        closed.push({ run, status, at: Date.now() });
      },
    });
    return { closed, live };
  }

  it('completes a rooted run grace ms after its last span, re-arming on every span', async () => {
    const { closed, live } = make(60, 10_000);
    const start = Date.now();
    tracker.observe('c', 'r1', [item(llmSpan(1, 2))]);
    tracker.observe('c', 'r1', [item(rootSpan(0, 5))]);
    await advance(40);
    tracker.observe('c', 'r1', [item(toolSpan(3, 4, 't'))]); // within grace: postpones completion to 40 + 60
    await advance(59);
    expect(closed).toHaveLength(0); // 60 ms after the root would have been 60: the tool span re-armed it
    await advance(1);
    expect(closed).toHaveLength(1);
    expect(closed[0].status).toBe('completed');
    expect(closed[0].run.spans.size).toBe(3);
    expect(closed[0].at - start).toBe(100);
    expect(live).toEqual([1, 2, 3]);
    expect(tracker.openRunCount).toBe(0);
  });

  it('closes a run whose root never came as stalled after the idle timeout', async () => {
    const { closed } = make(10, 80);
    tracker.observe('c', 'r2', [item(llmSpan(1, 2))]);
    await advance(79);
    expect(closed).toHaveLength(0); // the grace (10 ms) applies only once the root is there
    await advance(1);
    expect(closed.map((c) => c.status)).toEqual(['stalled']);
  });

  it('an errored root closes the run as errored; the root names the agent', async () => {
    const { closed } = make(10, 1000);
    tracker.observe('c', 'r3', [item(llmSpan(1, 2), 'from-child')]);
    tracker.observe('c', 'r3', [item(rootSpan(0, 5, { status: 'error' }), 'from-root')]);
    await advance(10);
    expect(closed[0].status).toBe('errored');
    expect(closed[0].run.agentId).toBe('from-root');
  });

  it('keeps runs of different customers apart even with the same trace id', async () => {
    const { closed } = make(10, 1000);
    tracker.observe('c1', 'same', [item(rootSpan(0, 1))]);
    tracker.observe('c2', 'same', [item(rootSpan(0, 1)), item(llmSpan(0.2, 0.5))]);
    await advance(10);
    expect(closed.map((c) => `${c.run.customerId}:${c.run.spans.size}`).sort()).toEqual(['c1:1', 'c2:2']);
  });

  it('recovers an open run with only its remaining quiet time left, as a partial run', async () => {
    const { closed } = make(100, 10_000);
    tracker.recover({ customerId: 'c', runId: 'r4', agentId: 'a', rootSeen: true, lastSpanAt: Date.now() - 80 });
    await advance(19);
    expect(closed).toHaveLength(0);
    await advance(1); // 100 ms of quiet in all: 80 before the restart, 20 after
    expect(closed).toHaveLength(1);
    expect(closed[0].run.partial).toBe(true);
  });

  it('stop() cancels pending completions and waits for the ones in flight', async () => {
    let finished = false;
    tracker = new RunTracker({
      graceMs: 5,
      idleMs: 1000,
      onClose: async () => {
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
      },
    });
    tracker.observe('c', 'r5', [item(rootSpan(0, 1))]);
    tracker.observe('c', 'r6', [item(llmSpan(0, 1))]); // would stall in 1 s
    await advance(20); // r5 closed at 5 ms; its completion is in flight until 55 ms
    const stopped = tracker.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await advance(34);
    expect(done).toBe(false); // stop() waits for it
    await advance(1);
    await stopped;
    expect(finished).toBe(true);
    expect(tracker.openRunCount).toBe(0);
    await advance(2000);
    expect(tracker.isOpen('c', 'r6')).toBe(false); // cancelled: never closed as stalled
  });

  it('retries a completion that failed (database down), with backoff, until it succeeds', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    tracker = new RunTracker({
      graceMs: 5,
      idleMs: 1000,
      onClose: async () => {
        if (++calls === 1) throw new Error('database unavailable');
      },
      onError: (err) => errors.push(err),
    });
    tracker.observe('c', 'r7', [item(rootSpan(0, 1))]);
    await advance(5);
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    expect(tracker.isOpen('c', 'r7')).toBe(true); // kept, waiting for its retry (1 s)
    await advance(999);
    expect(calls).toBe(1);
    await advance(1);
    expect(calls).toBe(2);
    expect(tracker.isOpen('c', 'r7')).toBe(false);
  });
});
