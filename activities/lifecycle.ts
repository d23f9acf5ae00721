import type { Stage } from '../contract/onboarding.js';
import { supersedeApprovals } from '../domain/approvals.js';
import { recordAuditEvent } from '../domain/audit.js';
import { disableConnectionsOfCancelled } from '../domain/connections.js';
import { cancelReasonOf, connectionOfOnboarding, recordStage } from '../domain/onboardings.js';
import { type PasswordKeepers, passwordKeepers } from '../domain/pilot.js';
import type { ActivityDeps } from './deps.js';

/** The onboarding as a whole: its stage in the listing, and how it ends (completed or cancelled). */
export function lifecycleActivities({ database, mailer, clock }: ActivityDeps) {
  const { db, sql } = database;
  return {
    /** Keeps the listing projection current; a retry finds the stage already set and records nothing twice. */
    async recordOnboardingStage(input: { onboardingId: string; stage: Stage; connectionId?: string | null }): Promise<void> {
      await recordStage(db, { ...input, at: clock.now() });
    },

    async finishOnboarding(input: {
      onboardingId: string;
      customerName: string;
      recipient: string;
      summary: { listed: number; excluded: number; enabled: number; enforced: number; reverted: number };
      outcome: 'completed' | 'cancelled';
      /** The enforced list, whose users are not counted as keeping their passwords (absent from older runs). */
      listId?: string;
    }): Promise<{ keepingPasswords?: PasswordKeepers }> {
      await supersedeApprovals(db, input.onboardingId, clock.now());
      await recordAuditEvent(db, { type: `onboarding.${input.outcome}`, onboardingId: input.onboardingId, detail: input.summary });
      if (input.outcome === 'cancelled') {
        const connectionDisabled = await disableConnectionsOfCancelled(db, input.onboardingId, clock.now());
        await mailer.send({
          idempotencyKey: `cancelled:${input.onboardingId}`,
          onboardingId: input.onboardingId,
          recipient: input.recipient,
          message: {
            kind: 'onboarding_cancelled',
            customerName: input.customerName,
            reason: await cancelReasonOf(db, input.onboardingId),
            summary: { reverted: input.summary.reverted, enabled: input.summary.enabled - input.summary.enforced },
            connectionDisabled,
          },
        });
        return {};
      }
      const connectionId = await connectionOfOnboarding(db, input.onboardingId);
      const keepers = await passwordKeepers(sql, { connectionId, listId: input.listId ?? null });
      await mailer.send({
        idempotencyKey: `completed:${input.onboardingId}`,
        onboardingId: input.onboardingId,
        recipient: input.recipient,
        message: {
          kind: 'onboarding_completed',
          customerName: input.customerName,
          summary: { enforced: input.summary.enforced, excluded: input.summary.excluded },
          keepingPasswords: keepers,
        },
      });
      return { keepingPasswords: keepers };
    },
  };
}
