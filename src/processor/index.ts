/**
 * The in-process SpanProcessor (`import { DunetraceSpanProcessor } from 'dunetrace-otel'`): keeps an agent run's
 * spans, digests their content with the mapping core and exports them over OTLP/HTTP to a Dunetrace receiver.
 */
export { DunetraceSpanProcessor, type DunetraceProcessorStats } from './processor.js';
export { DEFAULTS as PROCESSOR_DEFAULTS, ENV as PROCESSOR_ENV, ProcessorConfigError, type DunetraceSpanProcessorOptions } from './config.js';
export { isAgentSpan } from './relevance.js';
