/**
 * `dunetrace-otel/langchain`: the LangChain.js / LangGraph callback handler. Needs `@langchain/core` (an optional
 * peer dependency of dunetrace-otel: only this entry point loads it).
 */
export { DunetraceCallbackHandler, type DunetraceCallbackHandlerOptions } from './handler.js';
