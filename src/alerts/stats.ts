/** The dispatcher's counters (stats()). */
export interface AlertStats {
  /** Outbox rows created. */
  enqueued: number;
  /** (signal, channel) pairs skipped: shadow signal, below the channel's minimum, or already recorded. */
  skipped_shadow: number;
  skipped_severity: number;
  duplicates: number;
  /** Rows folded into digests, and digest messages delivered. */
  held: number;
  digests_delivered: number;
  /** Individual messages delivered. */
  delivered: number;
  /** Failed attempts that were rescheduled, and deliveries given up. */
  retries: number;
  failed: number;
  suppressed: number;
  /** Outbox/loader errors (each logged). */
  errors: number;
}

export function emptyStats(): AlertStats {
  return {
    enqueued: 0,
    skipped_shadow: 0,
    skipped_severity: 0,
    duplicates: 0,
    held: 0,
    digests_delivered: 0,
    delivered: 0,
    retries: 0,
    failed: 0,
    suppressed: 0,
    errors: 0,
  };
}
