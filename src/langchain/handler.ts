import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import { getCurrentRun, type Dunetrace, type DunetraceRun, type StepSpan } from '../sdk/index.js';
import { textOf, type ChatMessage } from '../sdk/genai.js';
import { chainInput, chainOutput, llmResult, retrieved, toChatMessage, toolOutput } from './messages.js';

export interface DunetraceCallbackHandlerOptions {
  /** The run's agent id. Default: the root chain's name (a LangGraph graph: "LangGraph"). */
  agentId?: string;
  model?: string;
  tools?: string[];
  systemPrompt?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

interface Tree {
  run: DunetraceRun;
  /** Opened by this handler (ended by it); false when attached to an enclosing dt.run. */
  owned: boolean;
}

/** Bound on LangChain runs remembered at once (a tree whose root never ends would otherwise leak). */
const MAX_TRACKED = 10_000;

/**
 * LangChain.js callbacks → a Dunetrace run (`callbacks: [new DunetraceCallbackHandler(dt)]`):
 *
 * - the root chain (or a model, tool or retriever called on its own) opens a run — or attaches to the enclosing
 *   `dt.run` when there is one — and ends it: run.completed with a final answer, run.errored on an error;
 *   sub-chains (LangGraph nodes) belong to it;
 * - chat model / LLM start, end, error → an LLM call with its messages (hashed), tokens, finish reason and the tool
 *   calls the model requested;
 * - tool start, end, error → a tool call under its REAL name (the tool's `name`, never its class), arguments and
 *   output hashed, output length, failures;
 * - retriever start, end, error → a retrieval with its query (hashed), result count and best score.
 *
 * Handlers run inline (`awaitHandlers`), so they see the caller's `getCurrentRun()` and keep LangChain's order;
 * they never throw into the chain (`raiseError` false, every method guarded).
 */
export class DunetraceCallbackHandler extends BaseCallbackHandler {
  name = 'DunetraceCallbackHandler';
  override awaitHandlers = true;
  override raiseError = false;
  private readonly trees = new Map<string, Tree>();
  /** LangChain run id → the root run id of its tree. */
  private readonly rootOf = new Map<string, string>();
  private readonly parentOf = new Map<string, string>();
  /** LangChain run id of a model / tool / retriever call → its step. */
  private readonly steps = new Map<string, StepSpan>();

  constructor(
    private readonly dt: Dunetrace,
    private readonly options: DunetraceCallbackHandlerOptions = {},
  ) {
    super();
  }

  /** The handler keeps per-invocation state: LangChain's copies must share it. */
  override copy(): this {
    return this;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Chains

  // @langchain/core 1.x declares (…, runId, runType, tags, metadata, runName, parentRunId) but its CallbackManager
  // calls (…, runId, parentRunId, tags, metadata, runType, runName): the parameters follow the call.
  override handleChainStart(
    chain: Serialized,
    inputs: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Obj,
    _runType?: string,
    runName?: string,
  ): void {
    this.guard(() => this.tree(runId, parentRunId, () => ({ name: runName ?? chain?.name ?? lastId(chain), input: chainInput(inputs) })));
  }

  override handleChainEnd(outputs: unknown, runId: string): void {
    this.guard(() => this.endTree(runId, (run) => run.finalAnswer(chainOutput(outputs) ?? undefined)));
  }

  override handleChainError(err: unknown, runId: string): void {
    this.guard(() => this.endTree(runId, undefined, err));
  }

  // ------------------------------------------------------------------------------------------------------------
  // Models

  override handleChatModelStart(
    llm: Serialized,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Obj,
    _tags?: string[],
    metadata?: Obj,
    runName?: string,
  ): void {
    this.guard(() => this.startModel(llm, (messages?.[0] ?? []).map(toChatMessage), runId, parentRunId, extraParams, metadata, runName));
  }

  override handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Obj,
    _tags?: string[],
    metadata?: Obj,
    runName?: string,
  ): void {
    this.guard(() =>
      this.startModel(
        llm,
        (prompts ?? []).map((p) => ({ role: 'user', parts: [{ type: 'text', content: p }] })),
        runId,
        parentRunId,
        extraParams,
        metadata,
        runName,
      ),
    );
  }

  override handleLLMEnd(output: unknown, runId: string): void {
    this.guard(() => this.finishStep(runId, (step) => step.llmResponse(llmResult(output))));
  }

  override handleLLMError(err: unknown, runId: string): void {
    this.guard(() => this.failStep(runId, err));
  }

  // ------------------------------------------------------------------------------------------------------------
  // Tools

  override handleToolStart(
    tool: Serialized,
    input: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Obj,
    runName?: string,
    toolCallId?: string,
  ): void {
    this.guard(() => {
      // The tool's own name: LangChain passes it as the run name; the serialised form names only the class.
      const name =
        str(runName) ?? str(tool?.name) ?? str(isObj((tool as { kwargs?: unknown })?.kwargs) ? (tool as { kwargs: Obj }).kwargs.name : null) ?? 'unknown_tool';
      const tree = this.tree(runId, parentRunId, () => ({ name, input: textOf(input) }));
      this.steps.set(runId, tree.run.startTool(name, parseArgs(input), toolCallId ?? null, null, this.parentStep(parentRunId)));
    });
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.guard(() =>
      this.finishStep(runId, (step) => {
        const out = toolOutput(output);
        step.toolResult(out.text);
        // A ToolMessage with status "error" (a tool that reports its own failure) is a failed call.
        return out.failed ? { error: out.text ?? 'tool error', errorType: 'ToolError' } : undefined;
      }),
    );
  }

  override handleToolError(err: unknown, runId: string): void {
    this.guard(() => this.failStep(runId, err));
  }

  // ------------------------------------------------------------------------------------------------------------
  // Retrievers

  override handleRetrieverStart(
    retriever: Serialized,
    query: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Obj,
    name?: string,
  ): void {
    this.guard(() => {
      const index = str(name) ?? str(retriever?.name) ?? lastId(retriever);
      const tree = this.tree(runId, parentRunId, () => ({ name: index, input: query }));
      this.steps.set(runId, tree.run.startRetrieval(index, typeof query === 'string' ? query : null, null, this.parentStep(parentRunId)));
    });
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    this.guard(() =>
      this.finishStep(runId, (step) => {
        const r = retrieved(documents);
        step.retrievalResult(r.count, r.topScore, r.docs);
      }),
    );
  }

  override handleRetrieverError(err: unknown, runId: string): void {
    this.guard(() => {
      this.steps.get(runId)?.retrievalResult(0, null, null);
      this.failStep(runId, err);
    });
  }

  // ------------------------------------------------------------------------------------------------------------

  private startModel(
    llm: Serialized,
    messages: ChatMessage[],
    runId: string,
    parentRunId: string | undefined,
    extraParams?: Obj,
    metadata?: Obj,
    runName?: string,
  ): void {
    const params = isObj(extraParams?.invocation_params) ? extraParams.invocation_params : {};
    const kwargs = isObj((llm as { kwargs?: unknown })?.kwargs) ? (llm as { kwargs: Obj }).kwargs : {};
    const model =
      str(metadata?.ls_model_name) ?? str(params.model) ?? str(params.model_name) ?? str(kwargs.model) ?? str(kwargs.model_name) ?? runName ?? lastId(llm);
    const tools: string[] = [];
    for (const t of Array.isArray(params.tools) ? params.tools : []) {
      const n = isObj(t) ? (isObj(t.function) ? str(t.function.name) : str(t.name)) : null;
      if (n !== null) tools.push(n);
    }
    const tree = this.tree(runId, parentRunId, () => ({ name: model, input: lastUserText(messages) }));
    const step = tree.run.startLlm({ model, provider: str(metadata?.ls_provider), messages, tools }, this.parentStep(parentRunId));
    this.steps.set(runId, step);
  }

  /**
   * The run a LangChain run belongs to. A run with a known parent joins its parent's tree; any other starts a tree:
   * attached to the enclosing `dt.run` if there is one, else a run of its own.
   */
  private tree(runId: string, parentRunId: string | undefined, root: () => { name: string; input: string | null }): Tree {
    const rootId = parentRunId !== undefined ? this.rootOf.get(parentRunId) : undefined;
    if (rootId !== undefined) {
      const known = this.trees.get(rootId);
      if (known !== undefined) {
        this.rootOf.set(runId, rootId);
        this.parentOf.set(runId, parentRunId as string);
        return known;
      }
    }
    const existing = this.trees.get(runId);
    if (existing !== undefined) return existing;
    if (this.rootOf.size >= MAX_TRACKED) this.forgetOldest();
    const enclosing = getCurrentRun();
    let tree: Tree;
    if (enclosing !== null && !enclosing.ended) tree = { run: enclosing, owned: false };
    else {
      const r = root();
      const o = this.options;
      tree = {
        run: this.dt.startRun(o.agentId ?? r.name, { model: o.model, tools: o.tools, systemPrompt: o.systemPrompt, userInput: r.input ?? undefined }),
        owned: true,
      };
    }
    this.trees.set(runId, tree);
    this.rootOf.set(runId, runId);
    return tree;
  }

  private treeOf(runId: string): Tree | undefined {
    const root = this.rootOf.get(runId);
    return root === undefined ? undefined : this.trees.get(root);
  }

  /** When `runId` is the root of its tree: ends the run it owns (answer, or error) and forgets the tree. */
  private endTree(runId: string, answer?: (run: DunetraceRun) => void, error?: unknown): void {
    const tree = this.trees.get(runId);
    if (tree === undefined) return;
    if (tree.owned) {
      if (error === undefined) answer?.(tree.run);
      tree.run.end(error === undefined ? {} : { error });
    }
    this.trees.delete(runId);
    for (const [id, root] of this.rootOf) {
      if (root !== runId) continue;
      this.rootOf.delete(id);
      this.parentOf.delete(id);
      this.steps.delete(id);
    }
  }

  /** A model/tool/retriever call ended: `record` writes its outcome (or returns a failure), then the step ends. */
  private finishStep(runId: string, record: (step: StepSpan) => { error: unknown; errorType?: string } | void): void {
    const step = this.steps.get(runId);
    const tree = this.treeOf(runId);
    if (step !== undefined && tree !== undefined) {
      this.steps.delete(runId);
      const failure = record(step);
      if (failure) tree.run.failStep(step, failure.error, failure.errorType);
      else tree.run.endStep(step, null);
    }
    // A call made on its own (not inside a chain) was the root of its tree: its run ends with it.
    this.endTree(runId);
  }

  private failStep(runId: string, err: unknown): void {
    const step = this.steps.get(runId);
    const tree = this.treeOf(runId);
    if (step !== undefined && tree !== undefined) {
      this.steps.delete(runId);
      tree.run.failStep(step, err);
    }
    this.endTree(runId, undefined, err);
  }

  /** The nearest enclosing model/tool/retriever step (a tool that runs a chain: its calls are the tool's children). */
  private parentStep(parentRunId: string | undefined): StepSpan | undefined {
    for (let id = parentRunId; id !== undefined; id = this.parentOf.get(id)) {
      const step = this.steps.get(id);
      if (step !== undefined) return step;
    }
    return undefined;
  }

  private forgetOldest(): void {
    const oldest = this.trees.keys().next().value;
    if (oldest !== undefined) this.endTree(oldest, undefined, new Error('never ended (forgotten)'));
  }

  private guard(fn: () => unknown): void {
    try {
      fn();
    } catch {
      // A tracing problem never breaks the chain (the SDK logs its own internal errors once).
    }
  }
}

function lastId(s: Serialized | undefined): string {
  const id = (s as { id?: unknown } | undefined)?.id;
  return Array.isArray(id) && typeof id[id.length - 1] === 'string' ? (id[id.length - 1] as string) : 'langchain';
}

function lastUserText(messages: ChatMessage[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'user') return m.parts.map((p) => (p.type === 'text' ? p.content : '')).join('');
  }
  return null;
}

/** Tool input as LangChain passes it: an object, or a string that may be JSON. */
function parseArgs(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  const t = input.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(input) as unknown;
    } catch {
      return input;
    }
  }
  return input;
}
