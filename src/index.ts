/**
 * `dunetrace-otel`: the agent-side entry point. It exports the SpanProcessor and the pure mapping core only, so
 * importing it never loads the receiver, its HTTP server or a database driver (those live in `dunetrace-otel/receiver`).
 */
export * from './processor/index.js';
export * from './mapping/index.js';
