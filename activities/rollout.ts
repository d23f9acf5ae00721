import { Context, heartbeat } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { applyRolloutBatch, headsUpRecipients, revertEnforcement, rolloutProgress } from '../domain/rollout.js';
import type { ActivityDeps } from './deps.js';

/** Work over the whole approved list, batch by batch: enable, enforce, revert, and the heads-up mails. */
export function rolloutActivities({ database, mailer, config, logger }: ActivityDeps) {
  const { sql } = database;
  return {
    /**
     * Enables or enforces the whole list batch by batch, heartbeating the cursor; a retry resumes from
     * the last heartbeat, and a batch already applied is never applied again. Cancellation stops it
     * after the batch in flight.
     */
    async rolloutUsers(input: {
      action: 'enable' | 'enforce';
      listId: string;
      onboardingId: string;
      connectionId: string;
      batchSize: number;
    }) {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as { cursor: string; processed: number } | undefined;
      let cursor = resumed?.cursor ?? '';
      let processed = resumed?.processed ?? 0;
      for (;;) {
        if (context.cancellationSignal.aborted) throw new CancelledFailure('rollout cancelled after a complete batch');
        const batch = await applyRolloutBatch(sql, { ...input, afterUserSid: cursor });
        if (batch.processed === 0 || !batch.lastUserSid) break;
        cursor = batch.lastUserSid;
        processed += batch.processed;
        heartbeat({ cursor, processed });
      }
      logger.info({ onboardingId: input.onboardingId, action: input.action, processed }, 'rollout finished');
      return { processed };
    },

    async rolloutProgress(input: { listId: string }) {
      return await rolloutProgress(sql, input.listId);
    },

    /** Cancel: batch by batch, heartbeating, what this list enforced goes back; returns how many users changed. */
    async revertEnforcement(input: {
      listId: string;
      onboardingId: string;
      connectionId: string;
      to: 'enabled' | 'none';
      batchSize?: number;
    }) {
      const resumed = Context.current().info.heartbeatDetails as { reverted: number } | undefined;
      let reverted = resumed?.reverted ?? 0;
      for (;;) {
        const batch = await revertEnforcement(sql, { ...input, batchSize: input.batchSize ?? 1000 });
        if (batch.processed === 0) break;
        reverted += batch.reverted;
        heartbeat({ reverted });
      }
      return reverted;
    },

    /** Heads-up mails to every listed user, each keyed so a retry sends nobody a second one; heartbeats as it goes. */
    async sendHeadsUp(input: { onboardingId: string; customerName: string; listId: string }) {
      const loginUrl = `${config.publicBaseUrl}/login`;
      let sent = 0;
      for (const entry of await headsUpRecipients(sql, input.listId)) {
        await mailer.send({
          idempotencyKey: `heads_up:${input.onboardingId}:${entry.user_sid}`,
          onboardingId: input.onboardingId,
          recipient: entry.email,
          message: { kind: 'sso_heads_up', customerName: input.customerName, loginUrl },
        });
        sent += 1;
        if (sent % 50 === 0) heartbeat({ sent });
      }
      return { sent };
    },
  };
}
