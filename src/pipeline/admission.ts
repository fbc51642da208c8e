import { SaturatedError } from '../errors/index.js';

/**
 * Bounds the durable writes in flight. Without it, a burst of large exports queues behind the database pool until
 * every waiter times out — ingest and run completions alike. With it, excess exports are refused at once with a
 * retryable SaturatedError (503 + Retry-After, gRPC UNAVAILABLE) and connections stay free for completions, the API
 * and /health. A way in takes a slot before it reads the request body and releases it after the pipeline answered.
 */
export class Admission {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Requests refused because too many were in flight or queued. */
  refused = 0;

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
  ) {}

  /** Resolves with a release function once the caller may write; throws SaturatedError when saturated. */
  async acquire(): Promise<() => void> {
    if (this.active < this.maxActive) {
      this.active++;
    } else {
      if (this.waiting.length >= this.maxWaiting) {
        this.refused++;
        throw new SaturatedError();
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over by release()
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
