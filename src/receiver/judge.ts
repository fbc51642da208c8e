import type { ReceiverConfig } from './config.js';
import type { ReceiverDeps } from './app.js';

/** The detectors and alert channels a production receiver runs with, built from the config. */
export async function createDefaultJudge(_config: ReceiverConfig): Promise<ReceiverDeps> {
  return {};
}
