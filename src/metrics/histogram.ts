/**
 * A fixed-bucket latency histogram (Prometheus semantics: cumulative `le` buckets, sum, count). Observing is O(buckets)
 * with no allocation, so it can sit on the completion and alert paths.
 */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  /** Upper bounds in seconds, ascending (+Inf is implicit). */
  constructor(readonly bounds: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (seconds <= this.bounds[i]) this.counts[i]++;
  }

  snapshot(): { buckets: [number, number][]; sum: number; count: number } {
    return { buckets: this.bounds.map((b, i) => [b, this.counts[i]]), sum: this.sum, count: this.count };
  }
}
