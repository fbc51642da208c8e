/**
 * The shapes every stage shares — severity, failure types, signals, explanations, run and agent summaries — declared
 * once here and imported everywhere. Pure types, constants and value predicates: no I/O, no dependencies.
 */
export * from './severity.js';
export * from './failure-types.js';
export * from './signal.js';
export * from './explanation.js';
export * from './run.js';
export * from './ingest-health.js';
export * from './text.js';
export * from './values.js';
