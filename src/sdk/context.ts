import { AsyncLocalStorage } from 'node:async_hooks';
import type { DunetraceRun } from './run.js';
import type { StepSpan } from './steps.js';

/** What is current in an async context: the run, and the step (a tool, say) that code runs inside of, if any. */
export interface Scope {
  run: DunetraceRun;
  step: StepSpan | null;
}

/** One store for every Dunetrace instance in the process, as in the original SDK (getCurrentRun is a free function). */
export const scopes = new AsyncLocalStorage<Scope>();

/** The run the calling code runs inside of (dt.run, dt.trace, a decorated method, a middleware request), or null. */
export function getCurrentRun(): DunetraceRun | null {
  return scopes.getStore()?.run ?? null;
}
