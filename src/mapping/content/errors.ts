import type { ContentSource } from './facts.js';

/** Status message, else the first exception event's message: content, so only ever hashed. */
export function errorText(span: ContentSource): string | null {
  if (span.status.message.length > 0) return span.status.message;
  for (const e of span.events) {
    if (e.name !== 'exception') continue;
    const m = e.attributes['exception.message'];
    if (typeof m === 'string' && m.length > 0) return m;
  }
  return null;
}
