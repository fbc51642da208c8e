import type { ReceiverConfig } from './config.js';
import type { ReceiverDeps } from './app.js';

/**
 * The deps a production receiver runs with. createReceiver already builds the detectors (detectors.yml) and the
 * alert channels from the config when no override is given, so this is empty; it stays as the one place to add
 * process-level wiring.
 */
export async function createDefaultJudge(_config: ReceiverConfig): Promise<ReceiverDeps> {
  return {};
}
