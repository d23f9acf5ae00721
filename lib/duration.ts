// ISO 8601 durations as the onboarding options take them (`PT2S`, `P3D`, `P1DT12H`). Years and months
// are refused: their length depends on the calendar, and a reminder interval must be exact.
/** Exported so the OpenAPI document states exactly which durations are accepted. */
export const isoDurationPattern =
  /^P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * The longest duration accepted: one year. Every duration here sets a durable timer (a reminder, an
 * approval timeout, a soak); a longer one is a typo, and a long enough run of digits reads as Infinity.
 */
export const maxDurationMs = 365 * 24 * 60 * 60_000;
export const maxDurationText = 'one year (P365D)';

/** Milliseconds, or undefined for what is not such a duration and for anything longer than maxDurationMs. */
export function parseIsoDurationMs(value: string): number | undefined {
  const match = isoDurationPattern.exec(value);
  if (!match) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match.map((part) => (part === undefined ? 0 : Number(part)));
  const ms = ((((weeks ?? 0) * 7 + (days ?? 0)) * 24 + (hours ?? 0)) * 60 + (minutes ?? 0)) * 60_000 + (seconds ?? 0) * 1000;
  // Infinity and NaN fail this comparison too.
  if (!(ms <= maxDurationMs)) return undefined;
  return Math.round(ms);
}
