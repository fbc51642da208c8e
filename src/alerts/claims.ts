/**
 * The (signal, channel) pairs this process is handling right now. notify() and outbox scans skip a claimed pair, so
 * one process never sends a pair twice at once; across processes the outbox's unique key and leases do that job.
 */
export class Claims {
  private readonly held = new Set<string>();

  /** Claims the pair; false when it is claimed already. */
  take(signalId: number, channel: string): boolean {
    const key = pairKey(signalId, channel);
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }

  release(pairs: Iterable<ClaimedPair>): void {
    for (const p of pairs) this.held.delete(pairKey(p.signal_id, p.channel));
  }
}

/** A claimed pair; an outbox row fits this. */
export interface ClaimedPair {
  signal_id: number;
  channel: string;
}

/** A pair's key, for maps keyed like the claims. */
export function pairKey(signalId: number, channel: string): string {
  return `${signalId}:${channel}`;
}
