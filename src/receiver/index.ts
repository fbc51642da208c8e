/** The receiver entry point (`dunetrace-otel/receiver`): loads fastify and the database drivers. */
export { createReceiver, type Receiver, type ReceiverDeps } from './app.js';
export { runReceiver } from './server.js';
export { loadConfig, ConfigError, type ReceiverConfig } from './config.js';
export { hashApiKey, generateLiveKey } from './keys.js';
