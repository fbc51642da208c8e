/**
 * `dunetrace-otel`: the agent-side entry point. It exports the SpanProcessor and the pure mapping core only, so
 * importing it never loads the receiver, its HTTP server or a database driver (those live in `dunetrace-otel/receiver`).
 */
export * from './processor/index.js';
export * from './mapping/index.js';
// For services receiving Dunetrace webhooks: check X-Dunetrace-Signature over the raw body (node:crypto only).
export { verifySignature, SIGNATURE_HEADER } from './alerts/signature.js';
