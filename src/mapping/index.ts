/**
 * The mapping core: pure functions from decoded OTLP spans to content-free Dunetrace facts. Shared by the OTLP
 * receiver and the in-process SpanProcessor (which redacts spans with `redactSpan` before they leave the process).
 */
export { mapSpan, nanosToSeconds, readToolName, agentName, isRateLimited, type MapOptions } from './map-span.js';
export { asDigest, createHasher, isDigest, type Hasher, type HasherOptions } from './hash.js';
export { redactSpan, redactAttributes, type RedactOptions, type RedactableSpan, type RedactedContent } from './redact.js';
export { isContentAttribute, isContentEventAttribute, CONTENT_ATTRIBUTE_KEYS, CONTENT_ATTRIBUTE_FAMILIES } from './content-keys.js';
export { hasContentFacts, encodeContentFacts, decodeContentFacts, CONTENT_FACTS_MARKER, CONTENT_FACTS_PREFIX, CONTENT_FACTS_VERSION } from './content-codec.js';
export { scanForInjection, INJECTION_PATTERNS, SCAN_WHOLE_MAX, SCAN_HEAD_CHARS, SCAN_TAIL_CHARS } from './injection.js';
export { scanDirectives, firstMarker, DIRECTIVE_CODES, INJECTION_MARKER_ORDER, POISON_MARKER_ORDER, INJECTION_PHRASES, POISON_PHRASES } from './directives.js';
export { memoryOperation, MEMORY_SOURCES } from './content/read-back.js';
export { classify, classifySpan, classifyName, vectorVendor, VECTOR_DB_SYSTEMS, type ClassifyHints } from './classify.js';
export {
  extractContent,
  normalizeFinishReason,
  FINISH_REASONS,
  type FinishReason,
  type ContentFacts,
  type ContentContext,
  type ContentSource,
  type Measured,
} from './content/index.js';
export { normalizeProvider, readProvider, readIndexed, scanAttributes, type AttributeIndex, type IndexedRecord } from './attributes.js';
export * from './events.js';
export {
  mapDunetraceEvent,
  canonicalRunId,
  cleanName,
  eventRunRootId,
  DUNETRACE_EVENT_TYPES,
  type DunetraceEvent,
  type DunetraceEventType,
  type EventMapOptions,
} from './dunetrace-events.js';
export { SIGNAL_EVENT, SIGNAL_NAME, SIGNAL_SOURCE_KEY, SIGNAL_META_PREFIX, declaredSignal, isLabel } from './declared.js';
export { ROOT_ANSWERED } from './dialects/index.js';
