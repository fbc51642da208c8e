import { ProxyTracerProvider, type DiagLogger, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createHasher, type Hasher } from '../mapping/index.js';
import { DunetraceSpanProcessor, type DunetraceProcessorStats } from '../processor/index.js';
import { agentVersion } from './agent-version.js';
import { scopes } from './context.js';
import { textOf } from './genai.js';
import { resolveOptions, sdkLogger, type DunetraceOptions } from './options.js';
import { attachProcessor, detachProcessor, registeredProvider } from './provider.js';
import { DunetraceRun, type RunCore, type RunOptions } from './run.js';
import { SdkSpanProcessor, type SdkProcessorStats } from './span-processor.js';
import { ANTHROPIC, OPENAI, patchCreate } from './wrappers/client.js';

/** Where the SDK's spans are created (see DunetraceOptions.tracerProvider and docs/sdk.md). */
export type TracingMode = 'global' | 'provided' | 'own';

/** Options of `@dt.agent(…)`: the Python decorator's, in TypeScript. */
export interface AgentDecoratorOptions extends Omit<RunOptions, 'userInput'> {
  agentId?: string;
  /** Which argument is the user input: its index (default 0) or a function of the arguments. */
  inputFrom?: number | ((args: unknown[]) => unknown);
}

const TRACER_NAME = 'dunetrace-otel';
const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

/** Resolves after `ms` at most (unref'd). */
async function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
    timer.unref();
  });
  try {
    await Promise.race([work.catch(() => {}), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The Dunetrace SDK, API-compatible with the original npm `dunetrace` client: `dt.run`, `dt.trace`, `dt.tool`,
 * `dt.wrapOpenAI`, `dt.wrapAnthropic`, `getCurrentRun()`, the run's methods, `flush`, `shutdown`, plus the `@dt.agent`
 * method decorator. It emits OpenTelemetry GenAI spans through a `DunetraceSpanProcessor`: content is hashed and
 * content facts (lengths, the prompt-injection scan of the user input) are computed in this process, and only
 * digests leave it, over OTLP/HTTP to the receiver — one wire format, one mapping core.
 *
 * Never blocks or crashes the agent: span work is synchronous and small, export happens off the call path with a
 * bounded queue (drops counted), retries with backoff (OTLP exporter), and one log line per problem episode. Every
 * SDK method catches its own failures; your function's result and errors pass through unchanged.
 */
export class Dunetrace {
  /** The processor the SDK's spans go through; add it to your TracerProvider yourself if the SDK cannot. */
  readonly spanProcessor: SdkSpanProcessor;
  readonly defaultAgentId: string | null;
  private readonly hasher: Hasher;
  private readonly log: DiagLogger;
  private readonly core: RunCore;
  private readonly want: TracerProvider | 'global' | 'own';
  private resolved: { tracer: Tracer; mode: TracingMode; joined: TracerProvider | null } | null = null;
  private ownProvider: BasicTracerProvider | null = null;
  private readonly reported = new Set<string>();
  private readonly onBeforeExit: (() => void) | null = null;
  private shutdownPromise: Promise<void> | null = null;

  constructor(opts: DunetraceOptions = {}) {
    const env = opts.env ?? process.env;
    const o = resolveOptions(opts, env);
    this.log = sdkLogger(opts.logger);
    this.defaultAgentId = o.defaultAgentId;
    this.hasher = createHasher(o.hashKey !== undefined ? { key: o.hashKey } : {});
    // The run names its agent (resource dunetrace.agent_id per run), so DUNETRACE_AGENT_ID must not override it.
    const processorEnv = { ...env, DUNETRACE_AGENT_ID: undefined };
    const inner = new DunetraceSpanProcessor({
      endpoint: o.endpoint,
      apiKey: o.apiKey,
      hashKey: o.hashKey,
      exporter: opts.spanExporter,
      maxQueueSize: opts.bufferSize,
      scheduledDelayMillis: opts.flushIntervalMs,
      exportTimeoutMillis: opts.timeoutMs,
      env: processorEnv,
      logger: this.log,
    });
    this.spanProcessor = new SdkSpanProcessor(inner);
    this.want = opts.tracerProvider ?? 'global';
    this.core = { processor: this.spanProcessor, hasher: this.hasher, internalError: (where, err) => this.internalError(where, err) };
    if (o.flushOnExit) {
      // The export timer is unref'd: a short script would exit before its last spans leave without this.
      this.onBeforeExit = () => {
        if (this.spanProcessor.inner.stats.queuedSpans > 0) void this.flush();
      };
      process.on('beforeExit', this.onBeforeExit);
    }
  }

  /** Where runs are traced (decided at the first run). */
  get mode(): TracingMode | null {
    return this.resolved?.mode ?? null;
  }

  get stats(): DunetraceProcessorStats & SdkProcessorStats {
    return { ...this.spanProcessor.inner.stats, ...this.spanProcessor.stats };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Runs

  /**
   * Runs `fn` as one agent run: run.started now, run.completed when it returns, run.errored (and the error re-thrown)
   * when it throws. Inside, `getCurrentRun()` returns the run; runs started inside it get it as their parent.
   */
  async run<T>(agentId: string, opts: RunOptions, fn: (run: DunetraceRun) => T | Promise<T>): Promise<T>;
  async run<T>(agentId: string, fn: (run: DunetraceRun) => T | Promise<T>): Promise<T>;
  async run<T>(agentId: string, a: RunOptions | ((run: DunetraceRun) => T | Promise<T>), b?: (run: DunetraceRun) => T | Promise<T>): Promise<T> {
    const fn = typeof a === 'function' ? a : b;
    const opts = typeof a === 'function' ? {} : (a ?? {});
    if (typeof fn !== 'function') throw new TypeError('dt.run(agentId, options, fn): fn must be a function');
    const run = this.startRun(agentId, opts);
    try {
      const result = await run.enter(() => fn(run));
      run.end();
      return result;
    } catch (err) {
      run.end({ error: err });
      throw err;
    }
  }

  /**
   * Starts a run and returns it (for integrations that cannot wrap a function: middleware, callbacks). End it with
   * `run.end()`; run code inside it with `run.enter(fn)`.
   */
  startRun(agentId: string, opts: RunOptions = {}): DunetraceRun {
    const id = typeof agentId === 'string' && agentId.trim() !== '' ? agentId : (this.defaultAgentId ?? 'agent');
    const declared = opts.model !== undefined || (opts.tools?.length ?? 0) > 0 || opts.systemPrompt !== undefined;
    const identity = { agentId: id, agentVersion: declared ? agentVersion(opts.systemPrompt ?? '', opts.model ?? 'unknown', opts.tools ?? []) : null };
    try {
      const { tracer, mode } = this.tracing();
      let run = new DunetraceRun(this.core, tracer, id, opts, identity);
      if (!run.recording && mode !== 'own') {
        // The application's sampler dropped the run: Dunetrace judges every run, so trace this one privately.
        run.end();
        run = new DunetraceRun(this.core, this.ownTracer(), id, opts, identity);
      }
      return run;
    } catch (err) {
      this.internalError('startRun', err);
      return new DunetraceRun(this.core, new ProxyTracerProvider().getTracer(TRACER_NAME), id, opts, identity);
    }
  }

  /**
   * Wraps an agent function: each call is a run whose user input is the first argument, ending with a final answer
   * (the return value, hashed) unless it throws.
   */
  trace<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, agentId?: string, opts: Omit<RunOptions, 'userInput'> = {}): (...args: A) => Promise<R> {
    const id = agentId ?? (fn.name || this.defaultAgentId || 'agent');
    const runAs = (userInput: unknown, body: (run: DunetraceRun) => Promise<R>) => this.run(id, { ...opts, userInput }, body);
    const traced = function (this: unknown, ...args: A): Promise<R> {
      return runAs(args[0] ?? undefined, async (run) => {
        const result = await fn.apply(this, args);
        run.finalAnswer(result);
        return result;
      });
    };
    Object.defineProperty(traced, 'name', { value: fn.name });
    return traced;
  }

  /**
   * Wraps a tool: inside a run each call is a tool step (`execute_tool {name}`) with its arguments and result hashed;
   * a throw is a failed call (and is re-thrown). Sync functions stay sync. Outside a run the function just runs.
   */
  tool<F extends (...args: never[]) => unknown>(fn: F, name?: string): F {
    const toolName = name ?? (fn.name || 'tool');
    const core = this.core;
    const wrapped = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
      const run = scopes.getStore()?.run;
      if (run === undefined || run.ended) return fn.apply(this, args) as ReturnType<F>;
      let step: ReturnType<DunetraceRun['startTool']> | null = null;
      try {
        step = run.startTool(toolName, args.length === 1 ? args[0] : args);
      } catch (err) {
        core.internalError('tool', err);
      }
      if (step === null) return fn.apply(this, args) as ReturnType<F>;
      const s = step;
      const done = (value: unknown) => {
        s.toolResult(value);
        run.endStep(s, null);
      };
      let result: unknown;
      try {
        result = run.within(s, () => fn.apply(this, args));
      } catch (err) {
        run.failStep(s, err);
        throw err;
      }
      if (!isThenable(result)) {
        done(result);
        return result as ReturnType<F>;
      }
      return Promise.resolve(result).then(
        (v) => {
          done(v);
          return v;
        },
        (err: unknown) => {
          run.failStep(s, err);
          throw err;
        },
      ) as ReturnType<F>;
    };
    Object.defineProperty(wrapped, 'name', { value: fn.name });
    return wrapped as unknown as F;
  }

  /**
   * Records every `client.chat.completions.create(…)` made inside a run (streams too) as an LLM step: tokens,
   * latency, finish reason, requested tool calls. Patches the client in place and returns it.
   */
  wrapOpenAI<C>(client: C): C {
    const completions = (client as { chat?: { completions?: unknown } } | null)?.chat?.completions;
    if (!patchCreate(completions, 'create', OPENAI, this.core))
      this.internalError('wrapOpenAI', new TypeError('not an OpenAI client (no chat.completions.create)'));
    return client;
  }

  /** The same for `client.messages.create(…)` of @anthropic-ai/sdk (and `messages.stream(…)`, which calls it). */
  wrapAnthropic<C>(client: C): C {
    const messages = (client as { messages?: unknown } | null)?.messages;
    if (!patchCreate(messages, 'create', ANTHROPIC, this.core))
      this.internalError('wrapAnthropic', new TypeError('not an Anthropic client (no messages.create)'));
    return client;
  }

  /**
   * A TypeScript 5 (standard) decorator for async class methods: each call is a run (user input: the first argument,
   * or `inputFrom`), ending with a final answer. `@dt.agent({ model: 'gpt-4o', tools: ['search'] })`.
   */
  agent(opts: AgentDecoratorOptions = {}) {
    const { agentId, inputFrom, ...runOpts } = opts;
    const defaultId = this.defaultAgentId;
    const runAs = <R>(id: string, userInput: unknown, body: (run: DunetraceRun) => Promise<R>) => this.run(id, { ...runOpts, userInput }, body);
    return function <This, Args extends unknown[], R>(
      method: (this: This, ...args: Args) => Promise<R>,
      context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>>,
    ): (this: This, ...args: Args) => Promise<R> {
      const id = agentId ?? defaultId ?? String(context.name);
      return function (this: This, ...args: Args): Promise<R> {
        const input = typeof inputFrom === 'function' ? inputFrom(args) : args[inputFrom ?? 0];
        return runAs(id, input ?? undefined, async (run) => {
          const result = await method.apply(this, args);
          run.finalAnswer(result);
          return result;
        });
      };
    };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Lifecycle

  /** Exports what is queued now (bounded by `timeoutMs`). */
  async flush(): Promise<void> {
    await this.spanProcessor.forceFlush();
  }

  /**
   * Exports what is queued and stops (within `timeoutMs`). The application's own provider, if the SDK joined it,
   * keeps running without the Dunetrace processor. Idempotent.
   */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.shutdownPromise ??= (async () => {
      if (this.onBeforeExit !== null) process.off('beforeExit', this.onBeforeExit);
      const work = (async () => {
        await this.spanProcessor.shutdown();
        if (this.ownProvider !== null) await this.ownProvider.shutdown();
      })();
      await bounded(work, timeoutMs);
      if (this.resolved?.joined) detachProcessor(this.resolved.joined, this.spanProcessor);
    })();
    return this.shutdownPromise;
  }

  /** The original SDK posted deploy markers to /v1/deploy; this receiver has none. Logged once, otherwise a no-op. */
  markDeploy(_agentId: string, _version: string, _meta: Record<string, unknown> = {}): void {
    this.once('markDeploy', 'markDeploy() is not supported by dunetrace-otel (agent versions come from the runs); ignored');
  }

  // ------------------------------------------------------------------------------------------------------------

  /** The tracer runs use, decided once (lazily: the application may register its provider after creating `dt`). */
  private tracing(): { tracer: Tracer; mode: TracingMode } {
    if (this.resolved !== null) return this.resolved;
    const want = this.want;
    if (want !== 'own') {
      const provider = want === 'global' ? registeredProvider() : want;
      if (provider !== null) {
        const joined = attachProcessor(provider, this.spanProcessor);
        if (joined || want !== 'global') {
          if (!joined) this.once('provider', 'could not add the Dunetrace processor to the given TracerProvider; add dt.spanProcessor to it');
          this.resolved = { tracer: provider.getTracer(TRACER_NAME), mode: want === 'global' ? 'global' : 'provided', joined: joined ? provider : null };
          return this.resolved;
        }
        this.once('provider', 'the registered TracerProvider is not an OpenTelemetry SDK provider the SDK can join; runs are traced by a private provider');
      }
    }
    this.resolved = { tracer: this.ownTracer(), mode: 'own', joined: null };
    return this.resolved;
  }

  private ownTracer(): Tracer {
    this.ownProvider ??= new BasicTracerProvider({ spanProcessors: [this.spanProcessor] });
    return this.ownProvider.getTracer(TRACER_NAME);
  }

  private internalError(where: string, err: unknown): void {
    this.once(`internal:${where}`, `${where} failed (${err instanceof Error ? err.message : textOf(err)}); the agent is unaffected, this step is not recorded`);
  }

  private once(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log.warn(message);
  }
}
