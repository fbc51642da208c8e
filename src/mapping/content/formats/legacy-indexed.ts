import { contentString, readIndexed, type IndexedRecord } from '../../attributes.js';
import { argsString, s, type MessageFormat, type Messages, type Msg, type RawToolCall } from '../messages.js';

/** Traceloop/OpenLLMetry legacy `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` (role, content, tool_calls.M.*, function_call.*). */
function parseIndexed(records: IndexedRecord[]): Messages {
  const messages: Msg[] = [];
  let captured = false;
  for (const { fields } of records) {
    let toolCalls: RawToolCall[] | null = null;
    for (const tc of readIndexed(fields, 'tool_calls.')) {
      const args = argsString(tc.fields.arguments);
      if (args !== null) captured = true;
      (toolCalls ??= []).push({ name: s(tc.fields.name), args });
    }
    const fnName = s(fields['function_call.name']);
    if (fnName !== null || fields['function_call.arguments'] !== undefined) {
      const args = argsString(fields['function_call.arguments']);
      if (args !== null) captured = true;
      (toolCalls ??= []).push({ name: fnName, args });
    }
    if (fields.content !== undefined) captured = true;
    messages.push({
      role: s(fields.role) ?? '',
      text: contentString(fields.content) ?? '',
      toolCalls,
      finish: s(fields.finish_reason),
    });
  }
  return { messages, captured };
}

export const legacyIndexed: MessageFormat = {
  name: 'Traceloop legacy gen_ai.prompt.N.* / gen_ai.completion.N.*',
  input: (_span, index) => (index.prompt.length > 0 ? parseIndexed(index.prompt) : null),
  output: (_span, index) => (index.completion.length > 0 ? parseIndexed(index.completion) : null),
};
