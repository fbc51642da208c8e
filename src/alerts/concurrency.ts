/**
 * Bounded concurrency for sends, and bookkeeping of background work, so close() can stop taking new work and wait for
 * what is in flight (as the OTel BatchSpanProcessor's shutdown does).
 */

/** At most `limit` holders at once; waiters are served in order. close() turns every waiter (and later caller) away. */
export class SendSlots {
  private active = 0;
  private closed = false;
  private readonly waiting: ((granted: boolean) => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves true with a slot (release it with release()), or false once closed. */
  acquire(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next)
      next(true); // the slot passes on
    else this.active--;
  }

  /** Refuses every queued and future acquire(); holders keep their slots until they release them. */
  close(): void {
    this.closed = true;
    for (const refuse of this.waiting.splice(0)) refuse(false);
  }
}

/** Background promises (notify, scans, sends) that idle() waits for. */
export class BackgroundTasks {
  private readonly tasks = new Set<Promise<void>>();

  /** Registers `p`; the returned promise never rejects: a rejection goes to `onError`. */
  track(p: Promise<unknown>, onError: (err: unknown) => void): Promise<void> {
    const t: Promise<void> = p.then(
      () => undefined,
      (err: unknown) => {
        onError(err);
      },
    );
    this.tasks.add(t);
    void t.finally(() => this.tasks.delete(t));
    return t;
  }

  /** Resolves when nothing is tracked any more, including tasks started by the ones it waited for. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}
