import { createHash, randomBytes } from 'node:crypto';

/** API keys are stored only as their SHA-256; this is the one place that computes it. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateLiveKey(): string {
  return `dt_live_${randomBytes(16).toString('hex')}`;
}

/** A short, non-secret prefix to recognise a key in `keys list` (the random part is 32 hex; 4 are shown). */
export function keyPrefix(key: string): string {
  return key.slice(0, key.startsWith('dt_live_') ? 12 : 10);
}

export const isDevKey = (key: string) => /^dt_dev_[A-Za-z0-9_-]*$/.test(key);
