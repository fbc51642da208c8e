export * from './types.js';
export { sign, verifySignature, SIGNATURE_HEADER } from './signature.js';
export { backoffDelay, classifyStatus, parseRetryAfter, DEFAULT_BACKOFF, type AttemptOutcome, type BackoffOptions } from './backoff.js';
export {
  buildSlackMessage,
  buildSlackDigestMessage,
  runUrl,
  SEVERITY_STYLE,
  MAX_FIX_CODE_CHARS,
  DIGEST_MAX_RUNS,
  type SlackBlock,
  type SlackMessage,
} from './slack.js';
export {
  buildWebhookBody,
  buildWebhookRequest,
  buildWebhookDigestBody,
  buildWebhookDigestRequest,
  WEBHOOK_SCHEMA_VERSION,
  WEBHOOK_DIGEST_MAX_RUNS,
  type WebhookBody,
  type WebhookDigestBody,
  type WebhookOptions,
  type WebhookRequest,
} from './webhook.js';
export { FloodGuard, type Admission, type FloodGuardOptions } from './flood-guard.js';
export { postJson, DEFAULT_SEND_TIMEOUT_MS, type PostOptions, type SendResult } from './sender.js';
export { MemoryOutbox, type Delivery, type NewDelivery, type Outbox } from './outbox.js';
export { SqlOutbox, ALERT_DELIVERIES_MIGRATION } from './sql-outbox.js';
export { AlertDispatcher, DISPATCH_DEFAULTS, type AlertDispatcherConfig, type AlertDispatcherDeps, type AlertStats, type PostFn } from './dispatcher.js';
