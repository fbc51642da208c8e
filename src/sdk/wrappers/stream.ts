/**
 * Observes a streamed model response without changing what the caller gets: the openai and @anthropic-ai/sdk
 * `Stream` objects (Stainless) are patched in place, so `for await`, `.tee()`, `.toReadableStream()` and the
 * SDKs' own stream helpers all keep working and all pass through the observer. The observer sees each chunk, then
 * exactly one end: complete, failed, or abandoned (the consumer stopped early).
 */
export interface StreamObserver {
  chunk(value: unknown): void;
  end(outcome: { error?: unknown; complete: boolean }): void;
}

type Iter = () => AsyncIterator<unknown>;

function observed(source: Iter, observer: StreamObserver): Iter {
  return async function* () {
    let settled = false;
    const settle = (outcome: { error?: unknown; complete: boolean }) => {
      if (settled) return;
      settled = true;
      try {
        observer.end(outcome);
      } catch {
        // The observer records; it never breaks the caller's stream.
      }
    };
    try {
      const it = source();
      for (;;) {
        const r = await it.next();
        if (r.done === true) break;
        try {
          observer.chunk(r.value);
        } catch {
          // as above
        }
        yield r.value;
      }
      settle({ complete: true });
    } catch (error) {
      settle({ error, complete: false });
      throw error;
    } finally {
      settle({ complete: false });
    }
  };
}

/** Patches `stream` so its iteration is observed; false when it is not an async-iterable stream (nothing changed). */
export function observeStream(stream: unknown, observer: StreamObserver): boolean {
  if (typeof stream !== 'object' || stream === null) return false;
  const s = stream as { iterator?: unknown; [Symbol.asyncIterator]?: unknown };
  // Stainless streams iterate through `this.iterator()` (also in tee() and toReadableStream()).
  if (typeof s.iterator === 'function') {
    const original = s.iterator as Iter;
    s.iterator = observed(() => original.call(stream), observer);
    return true;
  }
  if (typeof s[Symbol.asyncIterator] === 'function') {
    const original = s[Symbol.asyncIterator] as Iter;
    const wrapped = observed(() => original.call(stream), observer);
    Object.defineProperty(stream, Symbol.asyncIterator, { value: wrapped, configurable: true, writable: true });
    return true;
  }
  return false;
}
