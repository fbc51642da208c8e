import type { AttrValue } from '../../../otlp/model.js';
import type { ContentSource } from '../facts.js';
import type { MessageFormat } from '../messages.js';
import { parseFlat } from './flat.js';

/** The first event named `eventName`'s value of `key`. */
function eventAttr(span: ContentSource, eventName: string, key: string): AttrValue | undefined {
  for (const e of span.events) if (e.name === eventName) return e.attributes[key];
  return undefined;
}

/** Events-based content: `gen_ai.content.prompt` / `gen_ai.content.completion` span events (semconv ≤ 1.27, OpenLIT). */
export const contentEvents: MessageFormat = {
  name: 'gen_ai.content.prompt / gen_ai.content.completion span events',
  input: (span) => parseFlat(eventAttr(span, 'gen_ai.content.prompt', 'gen_ai.prompt'), true),
  output: (span) => parseFlat(eventAttr(span, 'gen_ai.content.completion', 'gen_ai.completion'), false),
};
