import { ActivityFailure, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities/index.js';
import { type CertificateLifecycleInput, refreshCertificatesNow } from '../contract/certificates.js';

// Each round is retried a few times, then given up until the next round: a fault never stops the
// loop, and never keeps it retrying for ever. The metadata fetch has its own 10 s limit.
const rounds = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** About 11 events a round: a daily refresh continues as new every 50 days, far below any history limit. */
const defaultRoundsPerRun = 50;
/** No round sooner than this after the last, however close a reminder threshold. */
const minimumPauseMs = 1_000;

/**
 * One connection's certificates for as long as it exists: each round reads the IdP metadata again
 * (new certificates as next, vanished ones retired after the grace period) and sends the expiry
 * reminders due; then it sleeps until the next refresh or the next reminder threshold, whichever is
 * sooner. It ends when the connection is gone. Carries only the connection ID and a count.
 */
export async function certificateLifecycle(input: CertificateLifecycleInput): Promise<void> {
  const connectionId = input.connectionId;
  const roundsPerRun = input.roundsPerRun ?? defaultRoundsPerRun;
  let wakeNow = false;
  setHandler(refreshCertificatesNow, () => {
    wakeNow = true;
  });
  // Until a round has answered, the refresh interval is not known: a failed first round retries in an hour.
  let pauseMs = 3_600_000;
  for (let round = 0; round < roundsPerRun; round++) {
    wakeNow = false;
    try {
      const refreshed = await rounds.refreshConnectionCertificates({ connectionId });
      if (refreshed.outcome === 'gone') return;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
    }
    try {
      const reminded = await rounds.remindCertificateExpiry({ connectionId });
      if (!reminded.exists) return;
      const untilReminder = reminded.nextReminderAt === null ? Number.POSITIVE_INFINITY : reminded.nextReminderAt - Date.now();
      pauseMs = Math.max(minimumPauseMs, Math.min(reminded.refreshIntervalMs, untilReminder));
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
    }
    await condition(() => wakeNow, pauseMs);
    if (workflowInfo().continueAsNewSuggested) break;
  }
  await continueAsNew<typeof certificateLifecycle>(input);
}
