/**
 * Finish reasons, normalised across dialects onto one closed set: the OpenAI vocabulary the detectors use, plus
 * `error` and `other`. Anything not in the table becomes `other`, so a sender's free text can never reach storage
 * through a finish reason.
 */

export const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'error', 'other'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

/** Spellings (lower-case, `-` read as `_`) → the closed set. */
const SPELLINGS: Record<string, FinishReason> = {
  // The answer is complete.
  stop: 'stop',
  end_turn: 'stop', // Anthropic, Bedrock
  stop_sequence: 'stop', // Anthropic, Bedrock, Cohere STOP_SEQUENCE
  complete: 'stop', // Cohere COMPLETE
  eos_token: 'stop', // Hugging Face TGI
  // Cut off by a token limit.
  length: 'length',
  max_tokens: 'length', // Anthropic, Bedrock, Gemini MAX_TOKENS, Cohere
  max_output_tokens: 'length', // OpenAI Responses incomplete_details
  model_length: 'length', // Mistral
  token_limit: 'length',
  model_context_window_exceeded: 'length', // Anthropic, Bedrock
  error_limit: 'length', // Cohere v1: context limit reached
  // The model asked for tools.
  tool_calls: 'tool_calls', // OpenAI, Mistral, Vercel AI SDK tool-calls
  tool_call: 'tool_calls', // Traceloop JS, Cohere TOOL_CALL
  tool_use: 'tool_calls', // Anthropic, Bedrock
  function_call: 'tool_calls', // OpenAI (legacy functions)
  // Blocked or withheld by a filter.
  content_filter: 'content_filter', // OpenAI, Vercel AI SDK content-filter
  content_filtered: 'content_filter', // Bedrock
  guardrail_intervened: 'content_filter', // Bedrock
  safety: 'content_filter', // Gemini SAFETY
  image_safety: 'content_filter', // Gemini
  recitation: 'content_filter', // Gemini
  blocklist: 'content_filter', // Gemini
  prohibited_content: 'content_filter', // Gemini
  spii: 'content_filter', // Gemini
  refusal: 'content_filter', // Anthropic
  blocked: 'content_filter', // Genkit
  error_toxic: 'content_filter', // Cohere v1
  // Failed.
  error: 'error', // Traceloop JS, Mistral, Vercel AI SDK, Cohere
  malformed_function_call: 'error', // Gemini
  malformed_model_output: 'error', // Bedrock
  malformed_tool_use: 'error', // Bedrock
  // Said to be something else.
  other: 'other', // Vercel AI SDK, Gemini OTHER
  unknown: 'other', // Vercel AI SDK
  finish_reason_unspecified: 'other', // Gemini
};

/** One finish reason as sent (any dialect, any case, `-` or `_`) → the closed set; unknown spellings → `other`. */
export function normalizeFinishReason(reason: string): FinishReason {
  const r = reason.trim().toLowerCase().replaceAll('-', '_');
  return Object.hasOwn(SPELLINGS, r) ? SPELLINGS[r] : 'other';
}
