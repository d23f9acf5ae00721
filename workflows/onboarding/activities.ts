import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { OnboardingActivities } from '../../activities/index.js';

// Every retry is bounded: an activity that keeps failing ends as a problem on the onboarding (see
// `runStep`) instead of retrying for ever. Ten attempts ride out a few minutes of outage.
/** The main line's own steps: recording stages, mailing links and summaries, counting. */
export const steps = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds', maximumAttempts: 10 },
});

// Someone waits for the answer, so a fault surfaces after a few tries instead of retrying forever.
// Config validation may fetch metadata by URL (10 s timeout).
/** Activities run from Update handlers, while support waits for the answer. */
export const answering = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, maximumInterval: '5 seconds' },
});

// Batches of a rollout run inside one activity that heartbeats its cursor, so history stays small
// however long the list, and a retry resumes where the last heartbeat left off.
// On cancel, wait until the activity has stopped (after its batch in flight) before reverting, or a
// batch still running would enforce users after the revert.
// A hundred attempts (each resuming at its last heartbeat) ride out about an hour of outage.
/** Work over the whole list: enabling, enforcing, reverting, mailing every user. */
export const wholeList = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '30 seconds',
  retry: { maximumInterval: '30 seconds', maximumAttempts: 100 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
