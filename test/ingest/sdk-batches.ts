import { createHash, randomUUID } from 'node:crypto';

/**
 * Batches for POST /v1/ingest shaped exactly as the original Dunetrace SDKs send them
 * (../shared/reference/dunetrace-upstream.md §5 and dunetrace-upstream-v2.md §3–4):
 * - `v03`: the 0.3 Python SDK — content as 16-hex unkeyed SHA-256 prefixes, every emit advances the step (a response
 *   sits one step after its call), no event ids, the key in the body, `X-Dunetrace-Agent` header;
 * - `v1`: the newer SDKs (TS `run.ts@249260e`, Py `run_context.py@4524fc1`) — raw text fields, a response shares its
 *   call's step, `call_id` pairs LLM calls, a client `event_id` per event, the key also as a Bearer header.
 */
export type Generation = 'v03' | 'v1';

export interface SdkEvent {
  event_type: string;
  run_id: string;
  agent_id: string;
  agent_version: string;
  step_index: number;
  timestamp: number;
  payload: Record<string, unknown>;
  parent_run_id: string | null;
  event_id?: string;
}

const hash16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Records a run the way the SDK's RunContext would, one event per call. */
export class SdkRun {
  readonly events: SdkEvent[] = [];
  private step = 0;
  private calls = 0;
  private t: number;

  constructor(
    readonly gen: Generation,
    readonly agentId: string,
    readonly runId: string = randomUUID(),
    readonly agentVersion = 'a1b2c3d4',
    start = Date.now() / 1000 - 60,
  ) {
    this.t = start;
  }

  private emit(event_type: string, payload: Record<string, unknown>, advance: boolean): void {
    if (advance) this.step++;
    this.t += 0.05;
    this.events.push({
      event_type,
      run_id: this.runId,
      agent_id: this.agentId,
      agent_version: this.agentVersion,
      step_index: this.step,
      timestamp: this.t,
      payload,
      parent_run_id: null,
      ...(this.gen === 'v1' ? { event_id: randomUUID() } : {}),
    });
  }

  started(input: string, opts: { model?: string; tools?: string[]; systemPrompt?: string } = {}): this {
    const model = opts.model ?? 'gpt-4o';
    const tools = opts.tools ?? [];
    this.events.push({
      event_type: 'run.started',
      run_id: this.runId,
      agent_id: this.agentId,
      agent_version: this.agentVersion,
      step_index: 0,
      timestamp: this.t,
      payload:
        this.gen === 'v03'
          ? { input_hash: hash16(input), model, tools }
          : { input_text: input, system_prompt: opts.systemPrompt ?? 'You are a helpful agent.', model, tools },
      parent_run_id: null,
      ...(this.gen === 'v1' ? { event_id: randomUUID() } : {}),
    });
    return this;
  }

  /** One LLM call: finish "tool_calls" asks for a tool, "stop" answers with `output`. */
  llm(output: string, finish: 'stop' | 'tool_calls' = 'stop', opts: { model?: string; promptTokens?: number; completionTokens?: number } = {}): this {
    const model = opts.model ?? 'gpt-4o';
    const callId = this.calls++;
    this.emit(
      'llm.called',
      this.gen === 'v03' ? { model, prompt_tokens: opts.promptTokens ?? 120 } : { model, prompt_tokens: opts.promptTokens ?? 120, call_id: callId },
      true,
    );
    const completion = opts.completionTokens ?? 40;
    this.emit(
      'llm.responded',
      this.gen === 'v03'
        ? { completion_tokens: completion, latency_ms: 300, finish_reason: finish, output_hash: hash16(output), output_length: output.length }
        : { completion_tokens: completion, latency_ms: 300, finish_reason: finish, output_length: output.length, output, call_id: callId },
      this.gen === 'v03',
    );
    return this;
  }

  tool(name: string, args: Record<string, unknown>, result: { output?: string; error?: string } = { output: 'ok' }): this {
    const argsText = JSON.stringify(args);
    this.emit('tool.called', this.gen === 'v03' ? { tool_name: name, args_hash: hash16(argsText) } : { tool_name: name, args: argsText }, true);
    const success = result.error === undefined;
    const output = result.output ?? '';
    this.emit(
      'tool.responded',
      this.gen === 'v03'
        ? { tool_name: name, success, output_length: output.length, latency_ms: 80, ...(success ? {} : { error_hash: hash16(result.error!) }) }
        : { tool_name: name, success, output_length: output.length, latency_ms: 80, output, ...(success ? {} : { error: result.error }) },
      this.gen === 'v03',
    );
    return this;
  }

  retrieval(index: string, query: string, resultCount: number, content: string): this {
    this.emit('retrieval.called', this.gen === 'v03' ? { index_name: index, query_hash: hash16(query) } : { index_name: index, query }, true);
    this.emit(
      'retrieval.responded',
      { index_name: index, result_count: resultCount, top_score: resultCount ? 0.8 : null, latency_ms: 20, ...(this.gen === 'v1' ? { content } : {}) },
      this.gen === 'v03',
    );
    return this;
  }

  raw(event_type: string, payload: Record<string, unknown>): this {
    this.emit(event_type, payload, false);
    return this;
  }

  completed(exitReason: 'final_answer' | 'completed' = 'final_answer'): this {
    const tools = this.events.filter((e) => e.event_type === 'tool.called').length;
    this.emit('run.completed', { total_steps: this.step, exit_reason: exitReason, tool_call_count: tools }, false);
    return this;
  }

  errored(errorType: string, message: string): this {
    this.emit(
      'run.errored',
      this.gen === 'v03'
        ? { error_type: errorType, error_hash: hash16(message), step_index: this.step }
        : { error_type: errorType, error: message, step_index: this.step },
      false,
    );
    return this;
  }
}

/** The request an SDK sends for some events: body and headers as that generation sends them. */
export function sdkRequest(gen: Generation, apiKey: string, events: readonly SdkEvent[]): { headers: Record<string, string>; body: string } {
  const agent = events[0]?.agent_id ?? 'agent';
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-dunetrace-agent': agent };
  if (gen === 'v1') headers.authorization = `Bearer ${apiKey}`;
  return { headers, body: JSON.stringify({ api_key: apiKey, agent_id: agent, events }) };
}

/** Splits events into SDK-sized batches (the Python SDK drains ≤ 100 events per POST). */
export function batches<T>(events: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}
