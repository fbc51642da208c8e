/**
 * The dispatcher's only timer: one unref'd timeout for the earliest wake-up asked for. Asking for a later time while
 * an earlier one is armed changes nothing; asking for an earlier one moves it. No polling interval: with nothing due,
 * nothing runs. `now` is injected so the delay is computed on the same clock that stamps the outbox rows.
 */

/** setTimeout's limit (a longer delay would fire at once). */
const MAX_TIMER_MS = 2_147_483_647;

export class WakeTimer {
  private timer: NodeJS.Timeout | null = null;
  private at = Infinity;
  private stopped = false;

  constructor(
    private readonly onWake: () => void,
    private readonly now: () => number,
  ) {}

  /** Wakes at `at` (epoch ms) at the latest; a time in the past wakes on the next turn of the event loop. */
  arm(at: number): void {
    if (this.stopped) return;
    if (this.timer && this.at <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.at = Infinity;
      this.onWake();
    }, delay);
    this.timer.unref();
  }

  /** Cancels the pending wake-up; later arm() calls are ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.at = Infinity;
  }
}
