/**
 * Set membership over keyed digests for the grounding rules. Digests made under different run keys never compare
 * (a trace that crossed processes, several receivers without a shared secret): such a run reads as "unknown".
 */
import type { DigestSet } from '../../mapping/facts/index.js';

export class Corpus {
  private readonly digests = new Set<string>();
  private key: string | null = null;
  /** False once a set under another key was seen: the rule must stay silent. */
  consistent = true;

  /** Adds a set; returns false (and adds nothing) when it was truncated or made under another key. */
  add(set: DigestSet | null): boolean {
    if (set === null) return true;
    if (!this.sameKey(set.key)) return false;
    if (set.truncated) return false;
    for (const d of set.digests) this.digests.add(d);
    return true;
  }

  sameKey(key: string): boolean {
    if (this.key === null) this.key = key;
    if (this.key !== key) this.consistent = false;
    return this.consistent;
  }

  has(digest: string): boolean {
    return this.digests.has(digest);
  }
}
