import type { Attributes } from '../../otlp/model.js';
import { firstNumber, firstString, str } from '../attributes.js';
import { normalizeFinishReason } from '../content.js';
import { ROOT_ANSWERED, SPAN_AGENT_ID, SPAN_AGENT_VERSION, SPAN_CATEGORY, type Dialect } from './types.js';

/**
 * Vercel AI SDK 5 and 6 (`experimental_telemetry: { isEnabled: true }`). Every span carries `ai.operationId`:
 *  - `ai.generateText` / `ai.streamText` / `ai.generateObject` / `ai.streamObject`: one SDK call (the run when it is
 *    the root), with the call's own finish reason and answer;
 *  - `<call>.doGenerate` / `<call>.doStream`: one model call (→ chat);
 *  - `ai.toolCall`: one tool execution, `ai.toolCall.name` / `.id` / `.args` / `.result`, errors as span status and an
 *    exception event (→ execute_tool);
 *  - `ai.embed*` (→ embeddings) and `ai.rerank*` (→ rerank): not agent steps.
 * Usage: `ai.usage.inputTokens|outputTokens|totalTokens` (ai 5 also `promptTokens|completionTokens`), model
 * `ai.model.id` / `ai.model.provider` (`openai.chat` → provider `openai`), identity `ai.telemetry.functionId` and
 * `ai.telemetry.metadata.*`. Finish reasons are the SDK's (`tool-calls`, `content-filter`, …), normalised downstream.
 */

const MODEL_CALL = /^ai\.(?:generateText|streamText|generateObject|streamObject)\.(?:doGenerate|doStream)$/;
const SDK_CALL = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);

/** Provider ids of the SDK's provider packages → GenAI semconv `gen_ai.provider.name` values. */
const PROVIDERS: Record<string, string> = {
  'amazon-bedrock': 'aws.bedrock',
  azure: 'azure.ai.openai',
  'google.generative-ai': 'gcp.gemini',
  'google.vertex': 'gcp.vertex_ai',
  mistral: 'mistral_ai',
  xai: 'x_ai',
};

/** `openai.chat` / `anthropic.messages` / `google.vertex.chat` → `openai` / `anthropic` / `gcp.vertex_ai`. */
export function vercelProvider(provider: string): string {
  const p = provider.toLowerCase();
  for (const prefix of ['google.generative-ai', 'google.vertex']) if (p.startsWith(prefix)) return PROVIDERS[prefix];
  const dot = p.indexOf('.');
  const head = dot === -1 ? p : p.slice(0, dot);
  return PROVIDERS[head] ?? head;
}

const metadata = (a: Attributes, keys: readonly string[]) =>
  firstString(
    a,
    keys.map((k) => `ai.telemetry.metadata.${k}`),
  );

export const vercelAi: Dialect = {
  name: 'vercel-ai',
  matches: (attrs) => typeof attrs['ai.operationId'] === 'string',
  derive(_name, a) {
    const out: Attributes = {};
    const op = str(a, 'ai.operationId') ?? '';
    const sdkCall = SDK_CALL.has(op);
    if (MODEL_CALL.test(op)) {
      out[SPAN_CATEGORY] = 'llm';
      out['gen_ai.operation.name'] = 'chat';
    } else if (sdkCall) {
      // Structure, not a model call (its model and usage sum its steps): never counted as an LLM call itself.
      out[SPAN_CATEGORY] = 'workflow';
    } else if (op === 'ai.toolCall') {
      out[SPAN_CATEGORY] = 'tool';
      out['gen_ai.operation.name'] = 'execute_tool';
      const tool = str(a, 'ai.toolCall.name');
      if (tool !== null) out['gen_ai.tool.name'] = tool;
      const id = str(a, 'ai.toolCall.id');
      if (id !== null) out['gen_ai.tool.call.id'] = id;
    } else if (op.startsWith('ai.embed')) {
      out[SPAN_CATEGORY] = 'other';
      out['gen_ai.operation.name'] = 'embeddings';
    } else if (op.startsWith('ai.rerank')) {
      out[SPAN_CATEGORY] = 'other';
      out['gen_ai.operation.name'] = 'rerank';
    } else {
      // Image, speech, transcription, video calls: not understood as agent steps (left unclassified, so they are
      // reported as such); nothing derived that would make them look like LLM calls.
      return identity(a, out);
    }

    const model = str(a, 'ai.model.id');
    if (model !== null) out['gen_ai.request.model'] = model;
    const responseModel = str(a, 'ai.response.model');
    if (responseModel !== null) out['gen_ai.response.model'] = responseModel;
    const provider = str(a, 'ai.model.provider');
    if (provider !== null) out['gen_ai.provider.name'] = vercelProvider(provider);

    const input = firstNumber(a, ['ai.usage.inputTokens', 'ai.usage.promptTokens']);
    if (input !== null) out['gen_ai.usage.input_tokens'] = input;
    const output = firstNumber(a, ['ai.usage.outputTokens', 'ai.usage.completionTokens']);
    if (output !== null) out['gen_ai.usage.output_tokens'] = output;
    const total = firstNumber(a, ['ai.usage.totalTokens']);
    if (total !== null) out['gen_ai.usage.total_tokens'] = total;
    const reasoning = firstNumber(a, ['ai.usage.reasoningTokens', 'ai.usage.outputTokenDetails.reasoningTokens']);
    if (reasoning !== null) out['gen_ai.usage.reasoning.output_tokens'] = reasoning;
    const maxTokens = firstNumber(a, ['ai.settings.maxOutputTokens', 'ai.settings.maxTokens']);
    if (maxTokens !== null) out['gen_ai.request.max_tokens'] = maxTokens;

    const finish = str(a, 'ai.response.finishReason');
    if (finish !== null) {
      out['gen_ai.response.finish_reasons'] = [finish];
      // The SDK call's own finish reason is the run's: it answered when its last step stopped (not on tool calls,
      // a length cut or a step limit).
      if (sdkCall) out[ROOT_ANSWERED] = normalizeFinishReason(finish) === 'stop';
    }
    return identity(a, out);
  },
};

/** Agent identity: `ai.telemetry.metadata.agent_id|agentId`, else the functionId; name likewise; version from metadata. */
function identity(a: Attributes, out: Attributes): Attributes {
  const functionId = str(a, 'ai.telemetry.functionId');
  const agentId = metadata(a, ['agent_id', 'agentId']) ?? functionId;
  if (agentId !== null) out[SPAN_AGENT_ID] = agentId;
  const agentName = metadata(a, ['agent_name', 'agentName']) ?? functionId;
  if (agentName !== null) out['gen_ai.agent.name'] = agentName;
  const version = metadata(a, ['agent_version', 'agentVersion']);
  if (version !== null) out[SPAN_AGENT_VERSION] = version;
  return out;
}
