import { ActivityFailure, ApplicationFailure, uuid4 } from '@temporalio/workflow';
import type { OnboardingActivities } from '../../activities/index.js';
import { type ApprovalDecision, type MigrationView, mintId } from '../../contract/onboarding.js';
import { steps } from './activities.js';
import { awaitApproval } from './approvals.js';
import type { OnboardingRun } from './state.js';
import { enterStage, runStep, waitFor } from './steps.js';

export const newListId = () => mintId('migrationList', uuid4());

/** A built (or sent) list becomes the one for review; its problems (SIDs not on file, …) are the onboarding's. */
export function adoptList(run: OnboardingRun, list: MigrationView) {
  const { state, patches } = run;
  // Of two builds in flight the later version wins, whichever finishes last (versions follow the builds' order).
  if (!patches.rebuildSupersedes || !state.migration || list.version >= state.migration.version) state.migration = list;
  run.decisions.delete('migration_list');
  // The link of the version under review is no longer awaited from this moment: a decision on it
  // is refused (stale_link), and the review restarts with a new link for this version.
  if (patches.rebuildSupersedes) state.pending = state.pending.filter((p) => p.step !== 'migration_list');
  if (patches.listGuards && state.migration === list) {
    state.draft = null;
    run.setListProblems(list.problems);
  }
}

/**
 * Where the activity finds a decision's exclusions: in PostgreSQL by its link, where the approval
 * route stored them, so a decision of any size keeps this history small. Histories recorded before
 * that carry the users in the decision, and replay with them.
 */
const exclusionsOf = (decision: ApprovalDecision) => (decision.excludes ? { excludes: decision.excludes } : { tokenId: decision.tokenId });
const excludedCountOf = (decision: ApprovalDecision) => decision.excludedCount ?? decision.excludes?.length ?? 0;

/** A decision naming users not on the list is reported and the list awaits a new decision; nothing is dropped. */
function decideList(run: OnboardingRun, args: Parameters<OnboardingActivities['decideMigrationList']>[0]) {
  return runStep(run, 'recording the list decision', async () => {
    try {
      return await steps.decideMigrationList(args);
    } catch (error) {
      if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'unknown_exclusions') {
        run.addProblem('migration_list', 'unknown_exclusions', error.cause.message);
        run.note('migration_list_decision_refused', error.cause.message);
        return null;
      }
      throw error;
    }
  });
}

/**
 * From the first list built to an approved one: each version is reviewed through its own link; a
 * rebuild supersedes the version under review, a rejection with exclusions becomes the next version,
 * a plain rejection waits for support to build again. Returns the approved list.
 */
export async function reviewMigrationList(run: OnboardingRun): Promise<MigrationView> {
  const { state, patches } = run;
  for (;;) {
    await waitFor(run, () => state.migration !== null && state.migration.status === 'ready');
    await enterStage(run, 'list_review');
    const list = run.requireList();
    const decision = await awaitApproval(
      run,
      'migration_list',
      list.version,
      { total: list.total, flagged: list.flagged, version: list.version },
      // A list built during the review replaces this one: its link is superseded and a new one is mailed.
      () => patches.rebuildSupersedes && state.migration?.listId !== list.listId,
    );
    if (decision === null) {
      run.note('migration_list_superseded', `v${list.version} by v${state.migration?.version}`);
      continue;
    }
    if (decision.decision === 'approve') {
      const approved = await decideList(run, { listId: list.listId, decision: 'approve', ...exclusionsOf(decision) });
      if (!approved) continue;
      state.migration = approved;
      return approved;
    }
    if (excludedCountOf(decision) > 0) {
      const revised = await decideList(run, {
        listId: list.listId,
        decision: 'reject',
        ...exclusionsOf(decision),
        reason: decision.reason,
        nextListId: newListId(),
      });
      if (!revised) continue;
      state.migration = revised;
      run.note('migration_list_revised', `v${revised.version}`);
    } else {
      state.migration = await runStep(run, 'recording the list decision', () =>
        steps.decideMigrationList({ listId: list.listId, decision: 'reject', excludes: [], reason: decision.reason }),
      );
      await enterStage(run, 'migration_list');
    }
  }
}
