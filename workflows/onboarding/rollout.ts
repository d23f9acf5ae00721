import { ActivityFailure, CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { OnboardingSummary } from '../../contract/onboarding.js';
import { steps, wholeList } from './activities.js';
import { OnboardingCancelled, type OnboardingRun } from './state.js';
import { cancelStep, enterStage, noteFailure, runStep } from './steps.js';

/** Enables or enforces the approved list, batch by batch in one heartbeating activity. */
export async function runRollout(run: OnboardingRun, action: 'enable' | 'enforce') {
  const migration = run.requireList();
  const connection = run.requireConnection();
  const scope = new CancellationScope();
  const work = scope.run(() =>
    wholeList.rolloutUsers({
      action,
      listId: migration.listId,
      onboardingId: run.onboardingId,
      connectionId: connection.id,
      batchSize: run.input.options.batchSize,
    }),
  );
  // A cancel request stops the rollout after the batch in progress (each batch is one transaction).
  const watcher = condition(() => run.cancelling).then(() => scope.cancel());
  try {
    const result = await work;
    run.note(`${action}d`, `${result.processed} users`);
    // A cancel that arrived as the last batch finished still cancels (and reverts) the onboarding.
    if (run.cancelling) throw new OnboardingCancelled();
  } catch (error) {
    if (isCancellation(error) && run.cancelling) throw new OnboardingCancelled();
    if (!run.patches.interruptibleSteps || !(error instanceof ActivityFailure)) throw error;
    noteFailure(run, `${action === 'enable' ? 'enabling' : 'enforcing'} the users`, error);
    await condition(() => run.cancelling);
    throw new OnboardingCancelled();
  }
  void watcher;
}

/** Who is where at the end, from the list itself. */
async function finalCounts(run: OnboardingRun): Promise<OnboardingSummary['counts']> {
  const { migration } = run.state;
  if (!migration) return { listed: 0, excluded: 0, enabled: 0, enforced: 0, reverted: run.revertedCount };
  const { listId } = migration;
  const progress = await (run.cancelling
    ? cancelStep(run, 'counting', () => steps.rolloutProgress({ listId }), { total: 0, enabled: 0, enforced: 0, excluded: 0 })
    : runStep(run, 'counting', () => steps.rolloutProgress({ listId })));
  return {
    listed: progress.total + progress.excluded,
    excluded: progress.excluded,
    enabled: progress.enabled,
    enforced: progress.enforced,
    reverted: run.revertedCount,
  };
}

/** Enforced: the summary is counted, mailed, and names who keeps a password. */
export async function completeOnboarding(run: OnboardingRun, approvedListId: string): Promise<OnboardingSummary> {
  const { input } = run;
  const summary: OnboardingSummary = {
    onboardingId: input.onboardingId,
    stage: 'completed',
    cancelReason: null,
    counts: await finalCounts(run),
  };
  run.state.summary = summary;
  const finished = await runStep(run, 'mailing the summary', () =>
    steps.finishOnboarding({
      onboardingId: input.onboardingId,
      customerName: input.customerName,
      recipient: input.adminEmail,
      summary: summary.counts,
      outcome: 'completed',
      listId: approvedListId,
    }),
  );
  // Who keeps a password after the rollout is named in the summary (histories from before it answer nothing).
  if (finished?.keepingPasswords) summary.keepingPasswords = finished.keepingPasswords;
  await enterStage(run, 'completed');
  return summary;
}

/** Cancelled: no half-enforced state. Whatever this list enforced goes back unless support said otherwise. */
export async function cancelAndRevert(run: OnboardingRun): Promise<OnboardingSummary> {
  const { input, state } = run;
  const request = run.requireCancelRequest();
  return await CancellationScope.nonCancellable(async () => {
    if (state.migration && state.connection && request.revertTo !== 'keep') {
      const revert = {
        listId: state.migration.listId,
        onboardingId: input.onboardingId,
        connectionId: state.connection.id,
        to: request.revertTo,
        batchSize: input.options.batchSize,
      };
      run.revertedCount = await cancelStep(run, 'reverting the rollout', () => wholeList.revertEnforcement(revert), 0);
      run.note('enforcement_reverted', `${run.revertedCount} users to ${request.revertTo}`);
    }
    // `none` undoes everything the onboarding changed: the pilot users it switched on too.
    if (run.patches.revertPilot && state.connection && request.revertTo === 'none' && state.pilot.users.length > 0) {
      const pilot = { onboardingId: input.onboardingId, connectionId: state.connection.id };
      const undone = await cancelStep(run, 'reverting the pilot', () => steps.revertPilotUsers(pilot), { reverted: 0, newlyReverted: 0 });
      run.revertedCount += undone.newlyReverted;
      run.note('pilot_reverted', `${undone.reverted} users to none`);
    }
    state.pending = [];
    const summary: OnboardingSummary = {
      onboardingId: input.onboardingId,
      stage: 'cancelled',
      cancelReason: request.reason,
      counts: await finalCounts(run),
    };
    state.summary = summary;
    await cancelStep(
      run,
      'mailing the summary',
      () =>
        steps.finishOnboarding({
          onboardingId: input.onboardingId,
          customerName: input.customerName,
          recipient: input.adminEmail,
          summary: summary.counts,
          outcome: 'cancelled',
        }),
      undefined,
    );
    run.note('cancelled', request.reason);
    await enterStage(run, 'cancelled');
    return summary;
  });
}
