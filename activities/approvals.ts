import type { ApprovalContext, ApprovalStep } from '../contract/onboarding.js';
import { issueApproval } from '../domain/approvals.js';
import { recordAuditEvent } from '../domain/audit.js';
import { redactDeliveredLink } from '../domain/mail/outbox.js';
import type { ActivityDeps } from './deps.js';

/** Approval links mailed to the customer administrator, their reminders, and escalation to support. */
export function approvalActivities({ database, mailer, clock, config, approvalSecret }: ActivityDeps) {
  const { db } = database;
  return {
    /** Issues (or re-finds) the step's link and mails it; the token itself never enters workflow history. */
    async requestApproval(input: {
      tokenId: string;
      onboardingId: string;
      customerName: string;
      step: ApprovalStep;
      approverEmail: string;
      subjectVersion: number;
      expiresAt: string;
      reminderNumber: number;
      context: ApprovalContext;
    }): Promise<{ tokenId: string; expiresAt: string }> {
      const issued = await issueApproval(db, {
        tokenId: input.tokenId,
        onboardingId: input.onboardingId,
        step: input.step,
        approverEmail: input.approverEmail,
        subjectVersion: input.subjectVersion,
        expiresAt: new Date(input.expiresAt),
        secret: approvalSecret,
        publicBaseUrl: config.publicBaseUrl,
        now: clock.now(),
      });
      const common = {
        customerName: input.customerName,
        step: input.step,
        url: issued.url,
        expiresAt: issued.expiresAt.toISOString(),
        context: input.context,
      };
      const sent = await mailer.send({
        idempotencyKey: `approval:${issued.tokenId}:${input.reminderNumber}`,
        onboardingId: input.onboardingId,
        recipient: input.approverEmail,
        message:
          input.reminderNumber === 0
            ? { kind: 'approval_request', ...common }
            : { kind: 'approval_reminder', ...common, reminderNumber: input.reminderNumber },
      });
      await redactDeliveredLink(db, sent.id, issued.url);
      return { tokenId: issued.tokenId, expiresAt: issued.expiresAt.toISOString() };
    },

    async sendEscalation(input: {
      onboardingId: string;
      customerName: string;
      step: ApprovalStep;
      recipient: string;
      waitingSince: string;
      round: number;
    }) {
      await mailer.send({
        idempotencyKey: `escalation:${input.onboardingId}:${input.step}:${input.waitingSince}`,
        onboardingId: input.onboardingId,
        recipient: input.recipient,
        message: { kind: 'approval_escalation', customerName: input.customerName, step: input.step, waitingSince: input.waitingSince },
      });
      await recordAuditEvent(db, { type: 'onboarding.approval_overdue', onboardingId: input.onboardingId, detail: { step: input.step } });
    },
  };
}
