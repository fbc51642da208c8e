import type { AttributeIndex } from '../../attributes.js';
import type { ContentSource } from '../facts.js';
import type { MessageFormat, Messages } from '../messages.js';
import { flatPromptCompletion } from './flat.js';
import { genAiMessages } from './genai-messages.js';
import { legacyIndexed } from './legacy-indexed.js';
import { openInferenceMessages } from './openinference.js';
import { contentEvents } from './span-events.js';

/**
 * The message formats, in precedence order: the first one that finds messages on a span wins (a span carrying two
 * formats is read from the earlier one). A new emitter's format is one file in this folder implementing
 * MessageFormat, plus one line here. Formats that need an indexed family (`prefix.N.*`) read it from the
 * AttributeIndex: add the family to scanAttributes (attributes.ts) so the keys are collected in its single pass.
 */
export const MESSAGE_FORMATS: readonly MessageFormat[] = [
  genAiMessages, // gen_ai.input.messages / gen_ai.output.messages
  legacyIndexed, // gen_ai.prompt.N.* / gen_ai.completion.N.*
  openInferenceMessages, // llm.input_messages.N.* / llm.output_messages.N.*
  flatPromptCompletion, // gen_ai.prompt / gen_ai.completion
  contentEvents, // gen_ai.content.prompt / gen_ai.content.completion events
];

/** The span's input messages from the first format that has them. */
export function inputMessages(span: ContentSource, index: AttributeIndex): Messages | null {
  for (const f of MESSAGE_FORMATS) {
    const m = f.input(span, index);
    if (m !== null) return m;
  }
  return null;
}

/** The span's output messages from the first format that has them. */
export function outputMessages(span: ContentSource, index: AttributeIndex): Messages | null {
  for (const f of MESSAGE_FORMATS) {
    const m = f.output(span, index);
    if (m !== null) return m;
  }
  return null;
}
