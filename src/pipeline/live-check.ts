/** Open runs up to this many spans are live-checked on every new span; beyond, geometrically. */
const LIVE_EVERY_SPAN_UP_TO = 64;

/**
 * Whether an open run of `spans` spans, last live-checked at `checkedAt` spans, is due for another live check.
 * Re-judging a growing run on every export would cost O(length²) for long runs: small runs are checked on every new
 * span, larger ones each time they have grown by a quarter (amortised O(1) per span; a loop in a 1,000-span run is
 * then caught within 250 spans rather than at once).
 */
export function liveCheckDue(spans: number, checkedAt: number): boolean {
  return spans <= LIVE_EVERY_SPAN_UP_TO || spans >= checkedAt * 1.25;
}
