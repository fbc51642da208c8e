/**
 * Bounds the durable writes in flight. Without it, a burst of large exports queues behind the database pool until
 * every waiter times out — ingest and run completions alike. With it, excess exports get a fast 503 + Retry-After
 * (OTLP senders back off and retry) and connections stay free for completions, the API and /health.
 */
export class WriteGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
  ) {}

  /** Resolves true when the caller may write (then call release()), false when the receiver is saturated. */
  async acquire(): Promise<boolean> {
    if (this.active < this.maxActive) {
      this.active++;
      return true;
    }
    if (this.waiting.length >= this.maxWaiting) return false;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return true; // the slot was handed over by release()
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
