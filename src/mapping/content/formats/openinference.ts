import { contentString, readIndexed, type IndexedRecord } from '../../attributes.js';
import { argsString, s, type MessageFormat, type Messages, type Msg, type RawToolCall } from '../messages.js';

/** OpenInference `llm.input_messages.N.message.*` / `llm.output_messages.N.message.*` (content or contents.K, tool_calls.M). */
function parseOpenInference(records: IndexedRecord[]): Messages {
  const messages: Msg[] = [];
  let captured = false;
  for (const { fields } of records) {
    let text = '';
    if (fields['message.content'] !== undefined) {
      captured = true;
      text = contentString(fields['message.content']) ?? '';
    } else {
      for (const c of readIndexed(fields, 'message.contents.')) {
        const t = c.fields['message_content.text'];
        if (typeof t === 'string') {
          captured = true;
          text += t;
        }
      }
    }
    let toolCalls: RawToolCall[] | null = null;
    for (const tc of readIndexed(fields, 'message.tool_calls.')) {
      const args = argsString(tc.fields['tool_call.function.arguments']);
      if (args !== null) captured = true;
      (toolCalls ??= []).push({ name: s(tc.fields['tool_call.function.name']), args });
    }
    messages.push({ role: s(fields['message.role']) ?? '', text, toolCalls, finish: null });
  }
  return { messages, captured };
}

export const openInferenceMessages: MessageFormat = {
  name: 'OpenInference llm.input_messages.N.* / llm.output_messages.N.*',
  input: (_span, index) => (index.oiInput.length > 0 ? parseOpenInference(index.oiInput) : null),
  output: (_span, index) => (index.oiOutput.length > 0 ? parseOpenInference(index.oiOutput) : null),
};
