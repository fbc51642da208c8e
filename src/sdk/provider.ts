import { trace, type TracerProvider } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Finding and joining the application's TracerProvider.
 *
 * The OTel JS SDK 2.x has no public way to add a processor to a running provider (`addSpanProcessor` was removed).
 * Every 2.x `BasicTracerProvider` (and `NodeTracerProvider`, which the NodeSDK and OpenLLMetry register) keeps its
 * processors in `_activeSpanProcessor._spanProcessors`, read on every span; adding ours there is what `addSpanProcessor`
 * used to do. It is checked structurally, so an implementation without it is simply not joined (the SDK then uses a
 * provider of its own), never broken.
 */

type WithProcessors = { _activeSpanProcessor?: { _spanProcessors?: unknown } };

function processorsOf(provider: unknown): SpanProcessor[] | null {
  if (typeof provider !== 'object' || provider === null) return null;
  const list = (provider as WithProcessors)._activeSpanProcessor?._spanProcessors;
  return Array.isArray(list) ? (list as SpanProcessor[]) : null;
}

/** Adds `processor` to `provider`; true when it is (now or already) one of its processors. */
export function attachProcessor(provider: unknown, processor: SpanProcessor): boolean {
  const list = processorsOf(provider);
  if (list === null) return false;
  if (!list.includes(processor)) list.push(processor);
  return true;
}

/** Removes `processor` from `provider` (at shutdown: the application's provider keeps running without it). */
export function detachProcessor(provider: unknown, processor: SpanProcessor): void {
  const list = processorsOf(provider);
  const i = list?.indexOf(processor) ?? -1;
  if (list !== null && i >= 0) list.splice(i, 1);
}

/** The provider registered with `trace.setGlobalTracerProvider` (behind the API's proxy), or null when none is. */
export function registeredProvider(): TracerProvider | null {
  const global = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const delegate = typeof global.getDelegate === 'function' ? global.getDelegate() : global;
  return delegate.constructor?.name === 'NoopTracerProvider' ? null : delegate;
}
