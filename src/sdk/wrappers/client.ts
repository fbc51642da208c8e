import { scopes } from '../context.js';
import type { LlmRequest, LlmResponse } from '../genai.js';
import type { SdkSpanProcessor } from '../span-processor.js';
import { AnthropicStreamAccumulator, OpenAIStreamAccumulator, anthropicRequest, anthropicResponse, openaiRequest, openaiResponse } from './parse.js';
import { observeStream } from './stream.js';

/** How one provider API is read. */
interface ApiShape {
  request(params: unknown): LlmRequest;
  response(resp: unknown): LlmResponse;
  accumulator(): { add(chunk: unknown): void; result(): LlmResponse };
}

export const OPENAI: ApiShape = { request: openaiRequest, response: openaiResponse, accumulator: () => new OpenAIStreamAccumulator() };
export const ANTHROPIC: ApiShape = { request: anthropicRequest, response: anthropicResponse, accumulator: () => new AnthropicStreamAccumulator() };

export interface WrapperHooks {
  processor: SdkSpanProcessor;
  internalError(where: string, err: unknown): void;
}

const WRAPPED = Symbol.for('dunetrace-otel.wrapped');

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

/**
 * Replaces `owner[method]` (an SDK resource's `create`) by a function that records each call made inside a run as one
 * LLM step: a `chat {model}` span started at the call and ended when the response (or, for `stream: true`, the
 * stream) ends, with tokens, latency, finish reasons and requested tool calls. What the caller gets back is the
 * SDK's own return value, untouched (an APIPromise keeps `.withResponse()`; a Stream keeps `.tee()`). Outside a run
 * the call passes straight through. Patching twice is a no-op.
 */
export function patchCreate(owner: unknown, method: string, api: ApiShape, hooks: WrapperHooks): boolean {
  if (typeof owner !== 'object' || owner === null) return false;
  const target = owner as Record<string, unknown>;
  const original = target[method] as AnyFn | undefined;
  if (typeof original !== 'function') return false;
  if ((original as unknown as Record<symbol, unknown>)[WRAPPED] === true) return true;

  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const scope = scopes.getStore();
    const run = scope?.run;
    if (run === undefined || run.ended) return original.apply(this, args);
    let step: ReturnType<typeof run.startLlm> | null = null;
    try {
      step = run.startLlm(api.request(args[0]));
      hooks.processor.markLlmWrapper(step.spanId);
    } catch (err) {
      hooks.internalError('wrapper', err);
    }
    if (step === null) return original.apply(this, args);
    const s = step;
    const streaming = typeof args[0] === 'object' && args[0] !== null && (args[0] as { stream?: unknown }).stream === true;

    const onValue = (value: unknown): void => {
      try {
        if (!streaming) {
          s.llmResponse(api.response(value));
          run.endStep(s, null);
          return;
        }
        const acc = api.accumulator();
        const observing = observeStream(value, {
          chunk: (c) => acc.add(c),
          end: ({ error }) => {
            s.llmResponse(acc.result());
            if (error !== undefined) run.failStep(s, error);
            else run.endStep(s, null);
          },
        });
        if (!observing) run.endStep(s, null);
      } catch (err) {
        hooks.internalError('wrapper', err);
      }
    };
    const onError = (err: unknown): void => {
      try {
        run.failStep(s, err);
      } catch (e) {
        hooks.internalError('wrapper', e);
      }
    };

    let result: unknown;
    try {
      // The model call runs inside the step: another instrumentation's span for it becomes the step's child.
      result = run.within(s, () => original.apply(this, args));
    } catch (err) {
      onError(err);
      throw err;
    }
    // Observed, not replaced: the caller keeps the SDK's own promise (these callbacks run before the caller's).
    if (isThenable(result)) result.then(onValue, onError);
    else onValue(result);
    return result;
  };
  (wrapped as unknown as Record<symbol, unknown>)[WRAPPED] = true;
  target[method] = wrapped;
  return true;
}
