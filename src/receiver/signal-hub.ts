import type { StoredSignal } from '../storage/types.js';

export type SignalListener = (signal: StoredSignal) => void;

/**
 * Fans newly stored signals out to live subscribers (SSE streams). Subscribers filter by customer themselves;
 * a throwing listener is dropped, never allowed to break the pipeline.
 */
export class SignalHub {
  private readonly listeners = new Set<SignalListener>();

  subscribe(listener: SignalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(signals: readonly StoredSignal[]): void {
    for (const s of signals) {
      for (const l of this.listeners) {
        try {
          l(s);
        } catch {
          this.listeners.delete(l);
        }
      }
    }
  }
}
