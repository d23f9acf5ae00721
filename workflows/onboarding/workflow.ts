import { allHandlersFinished, condition, patched, upsertSearchAttributes } from '@temporalio/workflow';
import { customerIdKey, type OnboardingInput, type OnboardingSummary, type OnboardingWorkflow } from '../../contract/onboarding.js';
import { steps, wholeList } from './activities.js';
import { awaitApproval } from './approvals.js';
import { wireHandlers } from './handlers.js';
import { reviewMigrationList } from './listReview.js';
import { cancelAndRevert, completeOnboarding, runRollout } from './rollout.js';
import { OnboardingCancelled, OnboardingRun, type Patches } from './state.js';
import { enterStage, runStep, waitFor } from './steps.js';

/** The patches, read at the start of every run in the order they were introduced (see `Patches`). */
function readPatches(): Patches {
  return {
    interruptibleSteps: patched('interruptible-steps'),
    rebuildSupersedes: patched('rebuild-supersedes-review'),
    listGuards: patched('list-guard-rails'),
    revertPilot: patched('revert-pilot-users'),
    exclusiveUpdates: patched('exclusive-updates'),
    spDetailsFirst: patched('sp-details-first'),
  };
}

/**
 * One customer's way to SSO, stage by stage: IdP details, SP details mailed, a pilot the customer
 * confirms, a migration list they approve, SSO enabled for the list, their go-ahead, SSO enforced.
 * A cancel from any stage reverts what the onboarding changed (`cancelAndRevert`).
 */
export async function ssoOnboarding(input: OnboardingInput): Promise<OnboardingSummary> {
  const run = new OnboardingRun(input, readPatches());
  const { state } = run;
  wireHandlers(run);
  upsertSearchAttributes([{ key: customerIdKey, value: input.customerId }]);
  run.note('started');

  try {
    await enterStage(run, 'config_intake');
    // The connection exists from the start (SP side only): its details and the setup link go out at once,
    // because Okta, Entra and Google need the ACS URL before they produce the IdP's metadata.
    if (run.patches.spDetailsFirst) {
      await runStep(run, 'mailing the setup link', () =>
        steps.sendSetupInvitation({ onboardingId: input.onboardingId, customerName: input.customerName, recipient: input.adminEmail }),
      );
      run.note('setup_link_sent');
    }
    await waitFor(run, () => state.connection !== null);

    await enterStage(run, 'sp_details_sent');
    const connection = run.requireConnection();
    await runStep(run, 'mailing the SP details', () =>
      steps.sendSpDetails({ onboardingId: input.onboardingId, customerName: input.customerName, recipient: input.adminEmail, connection }),
    );

    await enterStage(run, 'pilot');
    await waitFor(run, () => state.pilot.users.length > 0);
    while (!state.pilot.customerConfirmed) {
      const decision = await awaitApproval(run, 'pilot', 1, { pilotUsers: state.pilot.users.map((u) => u.email) });
      state.pilot.customerConfirmed = decision?.decision === 'approve';
    }
    await waitFor(run, () => state.pilot.supportConfirmed);

    await enterStage(run, 'migration_list');
    const approvedList = await reviewMigrationList(run);

    await enterStage(run, 'enabling');
    await runRollout(run, 'enable');

    await enterStage(run, 'awaiting_go_ahead');
    if (input.options.notifyUsers) {
      const { listId } = run.requireList();
      await runStep(run, 'mailing the users', () =>
        wholeList.sendHeadsUp({ onboardingId: input.onboardingId, customerName: input.customerName, listId }),
      );
      run.note('users_notified');
    }
    // The go-ahead names how many users it enforces: the approved list without its exclusions.
    const goAhead = run.patches.rebuildSupersedes ? { total: approvedList.total - approvedList.excluded } : {};
    for (;;) {
      const decision = await awaitApproval(run, 'go_ahead', 1, goAhead);
      if (decision?.decision === 'approve') break;
    }

    await enterStage(run, 'enforcing');
    await runRollout(run, 'enforce');

    const summary = await completeOnboarding(run, approvedList.listId);
    await condition(allHandlersFinished);
    return summary;
  } catch (error) {
    if (!(error instanceof OnboardingCancelled)) throw error;
  }

  const summary = await cancelAndRevert(run);
  // The cancel Update answers with the final state; let it before the run closes.
  await condition(allHandlersFinished);
  return summary;
}

ssoOnboarding satisfies OnboardingWorkflow;
