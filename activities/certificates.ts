import { Context } from '@temporalio/activity';
import type { CertificateRound } from '../contract/certificates.js';
import {
  type RefreshResult,
  refreshCertificatesFromMetadata,
  remindBeforeExpiry,
  undeliveredLifecycleMails,
} from '../domain/certificateLifecycle.js';
import { startCertificateLifecycle } from '../domain/certificateLifecycleStart.js';
import type { ActivityDeps } from './deps.js';

/** The certificate lifecycle's rounds (workflows/certificateLifecycle.ts): thin adapters over domain/certificateLifecycle.ts. */
export function certificateActivities({ database, mailer, clock, config }: ActivityDeps) {
  const { db } = database;
  // Mails are queued with the change they report; delivering every one still pending also finishes
  // what an attempt that failed after its commit left behind.
  const deliverPending = async (connectionId: string) => {
    for (const id of await undeliveredLifecycleMails(db, connectionId)) await mailer.deliver(id);
  };
  return {
    async refreshConnectionCertificates(input: { connectionId: string }): Promise<RefreshResult> {
      const result = await refreshCertificatesFromMetadata(db, input.connectionId, {
        now: clock.now(),
        retireGraceMs: config.certificates.retireGraceMs,
        supportEmail: config.supportEmail,
        fetch: { allowPrivateAddresses: config.allowPrivateIdpUrls },
      });
      await deliverPending(input.connectionId);
      return result;
    },

    async remindCertificateExpiry(input: { connectionId: string }): Promise<CertificateRound> {
      const reminded = await remindBeforeExpiry(db, input.connectionId, {
        now: clock.now(),
        thresholdsMs: config.certificates.reminderThresholdsMs,
        supportEmail: config.supportEmail,
      });
      await deliverPending(input.connectionId);
      return { ...reminded, refreshIntervalMs: config.certificates.refreshIntervalMs };
    },
  };
}

/** From an activity: the connection's lifecycle, started on this worker's task queue unless it runs already. */
export async function ensureCertificateLifecycle(connectionId: string): Promise<void> {
  const { client, info } = Context.current();
  await startCertificateLifecycle(client, info.taskQueue, { connectionId });
}
