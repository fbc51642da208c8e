import { AlertDispatcher, SqlOutbox, type AlertLogger, type PostFn } from '../alerts/index.js';
import { explainSignal } from '../detectors/index.js';
import type { SqlStorage } from '../storage/index.js';
import type { ReceiverConfig } from './config.js';

/** The alert dispatcher for the configured channels, or null when none is configured (nothing is recorded then). */
export function createAlertDispatcher(config: ReceiverConfig, storage: SqlStorage, log: AlertLogger, post?: PostFn): AlertDispatcher | null {
  if (!config.slackWebhookUrl && !config.webhookUrl) return null;
  return new AlertDispatcher(
    {
      slackWebhookUrl: config.slackWebhookUrl,
      slackMinSeverity: config.slackMinSeverity,
      webhookUrl: config.webhookUrl,
      webhookSecret: config.webhookSecret,
      webhookMinSeverity: config.webhookMinSeverity,
      dashboardUrl: config.dashboardUrl,
      burst: config.alertBurst,
    },
    {
      outbox: new SqlOutbox(storage.driver),
      explain: explainSignal,
      loadSignal: (id) => storage.getSignalForDelivery(id),
      logger: log,
      ...(post ? { post } : {}),
    },
  );
}
