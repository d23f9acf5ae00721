import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities/index.js';
import {
  type ApprovalDecision,
  type ApprovalStep,
  buildMigrationList,
  cancelOnboarding,
  confirmPilot,
  customerIdKey,
  getOnboardingState,
  type MigrationView,
  nominatePilotUsers,
  type OnboardingInput,
  type OnboardingState,
  type OnboardingSummary,
  onboardingStageKey,
  pilotUserLoggedIn,
  recordApproval,
  type Stage,
  sendMigrationList,
  submitIdpConfig,
} from '../contract/onboarding.js';

// Every retry is bounded: an activity that keeps failing ends as a problem on the onboarding (see
// `step` below) instead of retrying for ever. Ten attempts ride out a few minutes of outage.
const quick = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds', maximumAttempts: 10 },
});
// Activities run from Update handlers: someone waits for the answer, so a fault surfaces after a few
// tries instead of retrying forever. Config validation may fetch metadata by URL (10 s timeout).
const interactive = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, maximumInterval: '5 seconds' },
});
// Batches of a rollout run inside one activity that heartbeats its cursor, so history stays small
// however long the list, and a retry resumes where the last heartbeat left off.
// On cancel, wait until the activity has stopped (after its batch in flight) before reverting, or a
// batch still running would enforce users after the revert.
// A hundred attempts (each resuming at its last heartbeat) ride out about an hour of outage.
const rollout = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '30 seconds',
  retry: { maximumInterval: '30 seconds', maximumAttempts: 100 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

const maxEvents = 200;

class OnboardingCancelled extends Error {}

export async function ssoOnboarding(input: OnboardingInput): Promise<OnboardingSummary> {
  const { onboardingId, options } = input;
  const state: OnboardingState = {
    onboardingId,
    stage: 'config_intake',
    problems: [],
    connection: null,
    pilot: { users: [], unknownEmails: [], customerConfirmed: false, supportConfirmed: false },
    migration: null,
    draft: null,
    pending: [],
    events: [],
    cancelReason: null,
    summary: null,
  };
  // Runs started before steps could be interrupted replay as they ran (see `runStep`).
  const interruptibleSteps = patched('interruptible-steps');
  // Runs started before a rebuild superseded the list under review keep their old behaviour on replay.
  const rebuildSupersedes = patched('rebuild-supersedes-review');
  // Runs started before lists had guard rails (drafts, no empty list for review) replay as they ran.
  const listGuards = patched('list-guard-rails');
  // Runs started before a cancel with revertTo none switched pilot users off replay without that step.
  const revertPilot = patched('revert-pilot-users');
  const decisions = new Map<ApprovalStep, ApprovalDecision>();
  let cancelRequest: { reason: string; actor: string; revertTo: 'enabled' | 'none' | 'keep' } | null = null;
  let revertedCount = 0;

  // Date is workflow time inside the sandbox, so events are deterministic on replay.
  const note = (type: string, detail?: string) => {
    state.events.push({ at: new Date().toISOString(), type, ...(detail ? { detail } : {}) });
    if (state.events.length > maxEvents) state.events.splice(0, state.events.length - maxEvents);
  };
  /**
   * A step of the main line (the activities it waits for). A cancel request interrupts it, so cancel
   * answers within seconds from any stage, even while an activity keeps failing. A step that fails
   * for good (bad data, or its bounded retries spent) becomes a problem naming it, and the onboarding
   * waits for support to cancel it instead of failing the run. During the cancel itself, steps are
   * not interrupted and a failure is noted while the cancel goes on.
   */
  const runStep = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    if (!interruptibleSteps) return await run();
    if (cancelRequest) return await run();
    const work = new CancellationScope();
    const watch = new CancellationScope();
    void watch
      .run(() => condition(() => cancelRequest !== null))
      .then(
        () => work.cancel(),
        () => undefined,
      );
    try {
      return await work.run(run);
    } catch (error) {
      if (cancelRequest) throw new OnboardingCancelled();
      if (!(error instanceof ActivityFailure)) throw error;
      failed(name, error);
      await condition(() => cancelRequest !== null);
      throw new OnboardingCancelled();
    } finally {
      watch.cancel();
    }
  };
  const failed = (name: string, error: ActivityFailure) => {
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    state.problems.push({
      field: name,
      code: 'step_failed',
      message: `${name} failed and is not retried any more: ${cause.slice(0, 300)}. Cancel the onboarding; start again once the cause is fixed.`,
    });
    note('step_failed', name);
  };
  /** A step of the cancel: never interrupted; one that fails is noted and the cancel goes on. */
  const cancelStep = async <T>(name: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    if (!interruptibleSteps) return await run();
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      failed(name, error);
      return fallback;
    }
  };
  const enterStage = async (stage: Stage) => {
    state.stage = stage;
    upsertSearchAttributes([{ key: onboardingStageKey, value: stage }]);
    note('stage', stage);
    const record = () => quick.recordOnboardingStage({ onboardingId, stage, connectionId: state.connection?.id ?? null });
    if (stage === 'cancelled') await cancelStep('recording the stage', record, undefined);
    else await runStep('recording the stage', record);
  };
  const refuse = (message: string, type: string) => ApplicationFailure.nonRetryable(message, type);
  const requireStage = (allowed: Stage[], action: string) => {
    if (cancelRequest) throw refuse(`${action} refused: the onboarding is being cancelled`, 'wrong_stage');
    if (!allowed.includes(state.stage))
      throw refuse(`${action} is not possible in stage ${state.stage} (needs ${allowed.join(' or ')})`, 'wrong_stage');
  };
  /**
   * The pilot is open as soon as the IdP configuration is accepted: the stages the main line passes
   * through on its way to `pilot` (recording the stage, mailing the SP details) are no reason to refuse.
   */
  const requirePilotOpen = (action: string) => {
    const accepted = state.connection !== null && (state.stage === 'config_intake' || state.stage === 'sp_details_sent');
    if (!accepted || cancelRequest) requireStage(['pilot'], action);
  };
  const waitFor = async (ready: () => boolean, timeoutMs?: number): Promise<boolean> => {
    let done = true;
    if (timeoutMs === undefined) await condition(() => ready() || cancelRequest !== null);
    else done = await condition(() => ready() || cancelRequest !== null, timeoutMs);
    if (cancelRequest) throw new OnboardingCancelled();
    return done;
  };

  setHandler(getOnboardingState, () => state);

  setHandler(
    submitIdpConfig,
    async (submission) => {
      const checked = await interactive.validateIdpConfig(submission);
      if (!checked.ok) {
        state.problems = checked.problems;
        note('idp_config_invalid', `${checked.problems.length} problems`);
        return { ok: false, problems: checked.problems, warnings: checked.warnings };
      }
      const connection = await interactive.saveConnection({
        onboardingId,
        customerName: input.customerName,
        emailDomains: input.emailDomains,
        config: checked.config,
      });
      state.problems = [];
      state.connection = connection;
      note('idp_config_accepted', connection.id);
      return { ok: true, connection, warnings: checked.warnings };
    },
    { validator: (_submission) => requireStage(['config_intake'], 'IdP configuration') },
  );

  setHandler(
    nominatePilotUsers,
    async ({ emails }) => {
      const connectionId = state.connection?.id as string;
      const result = await interactive.enablePilotUsers({ onboardingId, connectionId, emails });
      const known = new Set(state.pilot.users.map((u) => u.sid));
      for (const user of result.users) if (!known.has(user.sid)) state.pilot.users.push({ ...user, firstLoginAt: null });
      state.pilot.unknownEmails = result.unknownEmails;
      if (result.refused) state.pilot.refused = result.refused;
      note(
        'pilot_nominated',
        `${result.users.length} users${result.unknownEmails.length ? `, ${result.unknownEmails.length} unknown` : ''}${result.refused?.length ? `, ${result.refused.length} refused` : ''}`,
      );
      return state.pilot;
    },
    {
      validator: ({ emails }) => {
        requirePilotOpen('Nominating pilot users');
        if (!Array.isArray(emails) || emails.length === 0) throw refuse('at least one email is required', 'invalid_request');
      },
    },
  );

  setHandler(
    confirmPilot,
    () => {
      state.pilot.supportConfirmed = true;
      note('pilot_confirmed', 'support');
      return state.pilot;
    },
    {
      validator: () => {
        requirePilotOpen('Confirming the pilot');
        if (state.pilot.users.length === 0) throw refuse('nominate pilot users before confirming the pilot', 'pilot_not_started');
      },
    },
  );

  /** A built (or sent) list becomes the one for review; its problems (SIDs not on file, …) are the onboarding's. */
  const adoptList = (list: MigrationView) => {
    // Of two builds in flight the later version wins, whichever finishes last (versions follow the builds' order).
    if (!rebuildSupersedes || !state.migration || list.version >= state.migration.version) state.migration = list;
    decisions.delete('migration_list');
    // The link of the version under review is no longer awaited from this moment: a decision on it
    // is refused (stale_link), and the review restarts with a new link for this version.
    if (rebuildSupersedes) state.pending = state.pending.filter((p) => p.step !== 'migration_list');
    if (listGuards && state.migration === list) {
      state.draft = null;
      setListProblems(list.problems);
    }
  };
  const setListProblems = (problems: MigrationView['problems']) => {
    state.problems = [
      ...state.problems.filter((p) => p.field !== 'migration_list' || p.code === 'approval_overdue'),
      ...problems.map(({ code, message }) => ({ field: 'migration_list', code, message })),
    ];
  };

  setHandler(
    buildMigrationList,
    async ({ draft, ...source }) => {
      const listId = `ml_${uuid4().replace(/-/g, '').slice(0, 24)}`;
      const build = { listId, onboardingId, connectionDomains: input.emailDomains, source };
      const list = await interactive.buildMigrationList(listGuards && draft ? { ...build, draft: true } : build);
      if (listGuards && draft) {
        // A preview: nothing is mailed, and the list under review (if any) stays under review.
        state.draft = list;
        note('migration_list_drafted', `v${list.version}: ${list.total} users, ${list.flagged} flagged`);
        return list;
      }
      if (listGuards && list.total === 0) {
        // Nobody to review: the list is not sent, and the problem says why.
        setListProblems(list.problems);
        note('migration_list_empty', `v${list.version}`);
        return list;
      }
      adoptList(list);
      note('migration_list_built', `v${list.version}: ${list.total} users, ${list.flagged} flagged`);
      return list;
    },
    {
      validator: (source) => {
        // A list by domain moves everyone with that address: only one of the domains this onboarding holds.
        if (source.method === 'domain' && !input.emailDomains.some((d) => d.toLowerCase() === source.domain.toLowerCase()))
          throw refuse(
            `${source.domain} is not one of this onboarding's domains (${input.emailDomains.join(', ')})`,
            'domain_not_in_onboarding',
          );
        requireStage(['migration_list', 'list_review'], 'Building the migration list');
      },
    },
  );

  setHandler(
    sendMigrationList,
    async ({ listId }) => {
      const list = await interactive.sendDraftList({ listId, onboardingId });
      adoptList(list);
      note('migration_list_built', `v${list.version}: ${list.total} users, ${list.flagged} flagged (sent from a draft)`);
      return list;
    },
    {
      validator: ({ listId }) => {
        requireStage(['migration_list', 'list_review'], 'Sending the migration list');
        if (!state.draft || state.draft.listId !== listId)
          throw refuse(
            state.draft
              ? `${listId} is not the draft waiting to be sent (that is ${state.draft.listId}, version ${state.draft.version})`
              : `there is no draft list to send (build one with send: false)`,
            'not_a_draft',
          );
        if (state.draft.total === 0) throw refuse('the draft list has no users, so it is not sent for review', 'empty_list');
      },
    },
  );

  setHandler(
    recordApproval,
    (decision) => {
      decisions.set(decision.step, decision);
      state.pending = state.pending.filter((p) => p.tokenId !== decision.tokenId);
      note(`${decision.step}_${decision.decision === 'approve' ? 'approved' : 'rejected'}`, decision.reason);
      return { stage: state.stage };
    },
    {
      validator: (decision) => {
        if (cancelRequest || state.stage === 'cancelled' || state.stage === 'completed')
          throw refuse(`the onboarding is ${state.stage}`, 'stale_link');
        if (!state.pending.some((p) => p.tokenId === decision.tokenId && p.step === decision.step)) {
          throw refuse('this link is no longer the one awaited for this step', 'stale_link');
        }
      },
    },
  );

  setHandler(
    cancelOnboarding,
    async ({ reason, actor, revertTo }) => {
      cancelRequest = { reason, actor, revertTo: revertTo ?? 'enabled' };
      state.cancelReason = reason;
      // Answer once the cancellation has taken effect, so the caller sees the final stage and summary.
      await condition(() => state.stage === 'cancelled' || state.stage === 'completed');
      return state;
    },
    {
      validator: ({ reason }) => {
        if (state.stage === 'completed' || state.stage === 'cancelled') throw refuse(`onboarding is already ${state.stage}`, 'wrong_stage');
        if (cancelRequest) throw refuse('the onboarding is already being cancelled', 'wrong_stage');
        if (!reason?.trim()) throw refuse('a reason is required to cancel', 'reason_required');
      },
    },
  );

  setHandler(pilotUserLoggedIn, ({ userSid, at }) => {
    const user = state.pilot.users.find((u) => u.sid === userSid);
    if (user && !user.firstLoginAt) {
      user.firstLoginAt = at;
      note('pilot_first_login', user.email);
    }
  });

  /** Issues the link, mails it, reminds on a timer and escalates once overdue; returns the decision. */
  /**
   * Issues the link, mails it, reminds on a timer and escalates once overdue; returns the decision, or
   * null when what the link asks about was `superseded` meanwhile (a list rebuilt during its review).
   */
  const awaitApproval = async (
    step: ApprovalStep,
    subjectVersion: number,
    context: Record<string, unknown>,
    superseded: () => boolean = () => false,
  ): Promise<ApprovalDecision | null> => {
    let startedAt = Date.now();
    let reminders = 0;
    let tokenId = '';
    // The link's ID is chosen here and awaited before the mail goes out, so an approver who answers
    // within a second of the mail arriving is never refused as stale.
    const issue = async (reminderNumber: number) => {
      if (reminderNumber === 0) tokenId = `apr_${uuid4().replace(/-/g, '')}`;
      const expiresAt = new Date(startedAt + options.approvalTimeoutMs).toISOString();
      state.pending = [...state.pending.filter((p) => p.step !== step), { step, tokenId, expiresAt }];
      await runStep('sending the approval link', () =>
        quick.requestApproval({
          tokenId,
          onboardingId,
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
    await issue(0);
    for (;;) {
      if (await waitFor(() => decisions.has(step) || superseded(), options.reminderEveryMs)) {
        if (superseded()) return null;
        break;
      }
      if (Date.now() - startedAt >= options.approvalTimeoutMs) {
        note('approval_overdue', step);
        state.problems.push({ field: step, code: 'approval_overdue', message: `the ${step.replace('_', ' ')} approval is overdue` });
        await runStep('escalating the overdue approval', () =>
          quick.sendEscalation({
            onboardingId,
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
        note('approval_reminder', `${step} #${reminders}`);
        await issue(reminders);
      }
    }
    state.problems = state.problems.filter((p) => !(p.code === 'approval_overdue' && p.field === step));
    const decision = decisions.get(step) as ApprovalDecision;
    decisions.delete(step);
    return decision;
  };

  /**
   * Where the activity finds a decision's exclusions: in PostgreSQL by its link, where the approval
   * route stored them, so a decision of any size keeps this history small. Histories recorded before
   * that carry the users in the decision, and replay with them.
   */
  const exclusionsOf = (decision: ApprovalDecision) =>
    decision.excludes ? { excludes: decision.excludes } : { tokenId: decision.tokenId };
  const excludedCountOf = (decision: ApprovalDecision) => decision.excludedCount ?? decision.excludes?.length ?? 0;

  /** A decision naming users not on the list is reported and the list awaits a new decision; nothing is dropped. */
  const decideList = (args: Parameters<OnboardingActivities['decideMigrationList']>[0]) =>
    runStep('recording the list decision', async () => {
      try {
        return await quick.decideMigrationList(args);
      } catch (error) {
        if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'unknown_exclusions') {
          state.problems.push({ field: 'migration_list', code: 'unknown_exclusions', message: error.cause.message });
          note('migration_list_decision_refused', error.cause.message);
          return null;
        }
        throw error;
      }
    });

  const runRollout = async (action: 'enable' | 'enforce') => {
    const migration = state.migration as NonNullable<OnboardingState['migration']>;
    const scope = new CancellationScope();
    const work = scope.run(() =>
      rollout.rolloutUsers({
        action,
        listId: migration.listId,
        onboardingId,
        connectionId: state.connection?.id as string,
        batchSize: options.batchSize,
      }),
    );
    // A cancel request stops the rollout after the batch in progress (each batch is one transaction).
    const watcher = condition(() => cancelRequest !== null).then(() => scope.cancel());
    try {
      const result = await work;
      note(`${action}d`, `${result.processed} users`);
      // A cancel that arrived as the last batch finished still cancels (and reverts) the onboarding.
      if (cancelRequest) throw new OnboardingCancelled();
    } catch (error) {
      if (isCancellation(error) && cancelRequest) throw new OnboardingCancelled();
      if (!interruptibleSteps || !(error instanceof ActivityFailure)) throw error;
      failed(`${action === 'enable' ? 'enabling' : 'enforcing'} the users`, error);
      await condition(() => cancelRequest !== null);
      throw new OnboardingCancelled();
    }
    void watcher;
  };

  upsertSearchAttributes([{ key: customerIdKey, value: input.customerId }]);
  note('started');

  const counts = async () => {
    if (!state.migration) return { listed: 0, excluded: 0, enabled: 0, enforced: 0, reverted: revertedCount };
    const { listId } = state.migration;
    const progress = await (cancelRequest
      ? cancelStep('counting', () => quick.rolloutProgress({ listId }), { total: 0, enabled: 0, enforced: 0, excluded: 0 })
      : runStep('counting', () => quick.rolloutProgress({ listId })));
    return {
      listed: progress.total + progress.excluded,
      excluded: progress.excluded,
      enabled: progress.enabled,
      enforced: progress.enforced,
      reverted: revertedCount,
    };
  };

  try {
    await enterStage('config_intake');
    await waitFor(() => state.connection !== null);

    await enterStage('sp_details_sent');
    const connection = state.connection as unknown as NonNullable<OnboardingState['connection']>;
    await runStep('mailing the SP details', () =>
      quick.sendSpDetails({ onboardingId, customerName: input.customerName, recipient: input.adminEmail, connection }),
    );

    await enterStage('pilot');
    await waitFor(() => state.pilot.users.length > 0);
    while (!state.pilot.customerConfirmed) {
      const decision = await awaitApproval('pilot', 1, { pilotUsers: state.pilot.users.map((u) => u.email) });
      state.pilot.customerConfirmed = decision?.decision === 'approve';
    }
    await waitFor(() => state.pilot.supportConfirmed);

    await enterStage('migration_list');
    for (;;) {
      await waitFor(() => state.migration !== null && state.migration.status === 'ready');
      await enterStage('list_review');
      const list = state.migration as unknown as NonNullable<OnboardingState['migration']>;
      const decision = await awaitApproval(
        'migration_list',
        list.version,
        { total: list.total, flagged: list.flagged, version: list.version },
        // A list built during the review replaces this one: its link is superseded and a new one is mailed.
        () => rebuildSupersedes && state.migration?.listId !== list.listId,
      );
      if (decision === null) {
        note('migration_list_superseded', `v${list.version} by v${state.migration?.version}`);
        continue;
      }
      if (decision.decision === 'approve') {
        const approved = await decideList({ listId: list.listId, decision: 'approve', ...exclusionsOf(decision) });
        if (!approved) continue;
        state.migration = approved;
        break;
      }
      if (excludedCountOf(decision) > 0) {
        const nextListId = `ml_${uuid4().replace(/-/g, '').slice(0, 24)}`;
        const revised = await decideList({
          listId: list.listId,
          decision: 'reject',
          ...exclusionsOf(decision),
          reason: decision.reason,
          nextListId,
        });
        if (!revised) continue;
        state.migration = revised;
        note('migration_list_revised', `v${revised.version}`);
      } else {
        state.migration = await runStep('recording the list decision', () =>
          quick.decideMigrationList({
            listId: list.listId,
            decision: 'reject',
            excludes: [],
            reason: decision.reason,
          }),
        );
        await enterStage('migration_list');
      }
    }

    await enterStage('enabling');
    await runRollout('enable');

    await enterStage('awaiting_go_ahead');
    if (options.notifyUsers) {
      const { listId } = state.migration as NonNullable<OnboardingState['migration']>;
      await runStep('mailing the users', () => rollout.sendHeadsUp({ onboardingId, customerName: input.customerName, listId }));
      note('users_notified');
    }
    // The go-ahead names how many users it enforces: the approved list without its exclusions.
    const approvedList = state.migration as NonNullable<OnboardingState['migration']>;
    const goAhead = rebuildSupersedes ? { total: approvedList.total - approvedList.excluded } : {};
    for (;;) {
      const decision = await awaitApproval('go_ahead', 1, goAhead);
      if (decision?.decision === 'approve') break;
    }

    await enterStage('enforcing');
    await runRollout('enforce');

    state.summary = { onboardingId, stage: 'completed', cancelReason: null, counts: await counts() };
    const completedCounts = state.summary.counts;
    const finished = await runStep('mailing the summary', () =>
      quick.finishOnboarding({
        onboardingId,
        customerName: input.customerName,
        recipient: input.adminEmail,
        summary: completedCounts,
        outcome: 'completed',
        listId: approvedList.listId,
      }),
    );
    // Who keeps a password after the rollout is named in the summary (histories from before it answer nothing).
    if (finished?.keepingPasswords) state.summary.keepingPasswords = finished.keepingPasswords;
    await enterStage('completed');
    await condition(allHandlersFinished);
    return state.summary;
  } catch (error) {
    if (!(error instanceof OnboardingCancelled)) throw error;
  }

  // Cancelled: no half-enforced state. Whatever this list enforced goes back unless support said otherwise.
  const request = cancelRequest as unknown as { reason: string; actor: string; revertTo: 'enabled' | 'none' | 'keep' };
  await CancellationScope.nonCancellable(async () => {
    if (state.migration && state.connection && request.revertTo !== 'keep') {
      const revert = {
        listId: state.migration.listId,
        onboardingId,
        connectionId: state.connection.id,
        to: request.revertTo,
        batchSize: options.batchSize,
      };
      revertedCount = await cancelStep('reverting the rollout', () => rollout.revertEnforcement(revert), 0);
      note('enforcement_reverted', `${revertedCount} users to ${request.revertTo}`);
    }
    // `none` undoes everything the onboarding changed: the pilot users it switched on too.
    if (revertPilot && state.connection && request.revertTo === 'none' && state.pilot.users.length > 0) {
      const pilot = { onboardingId, connectionId: state.connection.id };
      const undone = await cancelStep('reverting the pilot', () => quick.revertPilotUsers(pilot), { reverted: 0, newlyReverted: 0 });
      revertedCount += undone.newlyReverted;
      note('pilot_reverted', `${undone.reverted} users to none`);
    }
    state.pending = [];
    state.summary = { onboardingId, stage: 'cancelled', cancelReason: request.reason, counts: await counts() };
    const cancelledCounts = state.summary.counts;
    await cancelStep(
      'mailing the summary',
      () =>
        quick.finishOnboarding({
          onboardingId,
          customerName: input.customerName,
          recipient: input.adminEmail,
          summary: cancelledCounts,
          outcome: 'cancelled',
        }),
      undefined,
    );
    note('cancelled', request.reason);
    await enterStage('cancelled');
  });
  // The cancel Update answers with the final state; let it before the run closes.
  await condition(allHandlersFinished);
  return state.summary as unknown as OnboardingSummary;
}
