// What the certificate lifecycle workflow, its starters and the API share: no Node imports here.
import { defineSignal } from '@temporalio/workflow';

/** One lifecycle per connection: a fixed ID, so starting it again finds the one already running. */
export const certificateWorkflowIdFor = (connectionId: string) => `certificate-lifecycle-${connectionId}`;

export const certificateWorkflowType = 'certificateLifecycle';

export interface CertificateLifecycleInput {
  connectionId: string;
  /** Rounds before the run continues as new (history stays bounded); tests pass a small number. */
  roundsPerRun?: number;
}

/** Refresh the metadata and check the reminders now instead of at the next timer. */
export const refreshCertificatesNow = defineSignal('refreshCertificatesNow');

/** What one round learned: whether the connection still exists, and when a reminder falls due. */
export interface CertificateRound {
  exists: boolean;
  /** Epoch milliseconds of the next reminder threshold, or null when none is ahead. */
  nextReminderAt: number | null;
  refreshIntervalMs: number;
}
