export * from './errors.js';
export * from './status.js';
export { safeError } from './safe-error.js';
