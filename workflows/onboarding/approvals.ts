import { uuid4 } from '@temporalio/workflow';
import { type ApprovalContext, type ApprovalDecision, type ApprovalStep, mintId } from '../../contract/onboarding.js';
import { steps } from './activities.js';
import type { OnboardingRun } from './state.js';
import { runStep, waitFor } from './steps.js';

/**
 * Issues the link, mails it, reminds on a timer and escalates once overdue; returns the decision, or
 * null when what the link asks about was `superseded` meanwhile (a list rebuilt during its review).
 */
export async function awaitApproval<S extends ApprovalStep>(
  run: OnboardingRun,
  step: S,
  subjectVersion: number,
  context: ApprovalContext<S>,
  superseded: () => boolean = () => false,
): Promise<ApprovalDecision | null> {
  const { input, state } = run;
  const { approvalTimeoutMs, reminderEveryMs } = input.options;
  let startedAt = Date.now();
  let reminders = 0;
  let tokenId = '';
  // The link's ID is chosen here and awaited before the mail goes out, so an approver who answers
  // within a second of the mail arriving is never refused as stale.
  const issue = async (reminderNumber: number) => {
    if (reminderNumber === 0) tokenId = mintId('approvalToken', uuid4());
    const expiresAt = new Date(startedAt + approvalTimeoutMs).toISOString();
    state.pending = [...state.pending.filter((p) => p.step !== step), { step, tokenId, expiresAt }];
    await runStep(run, 'sending the approval link', () =>
      steps.requestApproval({
        tokenId,
        onboardingId: input.onboardingId,
        customerName: input.customerName,
        step,
        approverEmail: input.adminEmail,
        subjectVersion,
        expiresAt,
        reminderNumber,
        context,
      }),
    );
  };
  run.resendRequested.delete(step);
  await issue(0);
  for (;;) {
    if (await waitFor(run, () => run.decisions.has(step) || superseded() || run.resendRequested.has(step), reminderEveryMs)) {
      if (superseded()) return null;
      if (run.decisions.has(step)) break;
      // Support asked for the link again: the same link, mailed as the next reminder.
      run.resendRequested.delete(step);
      reminders += 1;
      run.note('approval_link_resent', step);
      await issue(reminders);
      continue;
    }
    if (Date.now() - startedAt >= approvalTimeoutMs) {
      run.note('approval_overdue', step);
      run.addProblem(step, 'approval_overdue', `the ${step.replace('_', ' ')} approval is overdue`);
      await runStep(run, 'escalating the overdue approval', () =>
        steps.sendEscalation({
          onboardingId: input.onboardingId,
          customerName: input.customerName,
          step,
          recipient: input.adminEmail,
          waitingSince: new Date(startedAt).toISOString(),
          round: reminders,
        }),
      );
      startedAt = Date.now();
      reminders = 0;
      await issue(0);
    } else {
      reminders += 1;
      run.note('approval_reminder', `${step} #${reminders}`);
      await issue(reminders);
    }
  }
  state.problems = state.problems.filter((p) => !(p.code === 'approval_overdue' && p.field === step));
  return run.takeDecision(step);
}
