/**
 * `dunetrace-otel/sdk`: the Dunetrace SDK (API-compatible with the original npm `dunetrace` client), its HTTP
 * middleware, and the client wrappers. Emits OpenTelemetry GenAI spans through the DunetraceSpanProcessor; importing
 * it never loads the receiver, fastify, gRPC or a database driver (the middleware only uses structural types).
 */
export { Dunetrace, type AgentDecoratorOptions, type TracingMode } from './client.js';
export { DunetraceRun, type RunOptions, type LlmRespondedOptions, type RunOutcome } from './run.js';
export { getCurrentRun } from './context.js';
export { agentVersion } from './agent-version.js';
export { parseDsn, type DunetraceOptions } from './options.js';
export { SdkSpanProcessor, type SdkProcessorStats, type RunIdentity } from './span-processor.js';
export type { SignalMetaValue, StepSpan } from './steps.js';
export type { LlmRequest, LlmResponse, ChatMessage, Part, ToolCall, RetrievedDocument } from './genai.js';
export { expressMiddleware, fastifyPlugin, type FastifyPluginOptions } from './middleware/node.js';
export { honoMiddleware, withRun, endWithResponse } from './middleware/web.js';
export type { MiddlewareOptions } from './middleware/options.js';
