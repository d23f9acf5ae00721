import { condition, setHandler } from '@temporalio/workflow';
import {
  buildMigrationList,
  cancelOnboarding,
  confirmPilot,
  getOnboardingState,
  nominatePilotUsers,
  pilotUserLoggedIn,
  recordApproval,
  removePilotUsers,
  resendApprovalLink,
  sendMigrationList,
  submitIdpConfig,
} from '../../contract/onboarding.js';
import { answering } from './activities.js';
import { adoptList, newListId } from './listReview.js';
import type { OnboardingRun } from './state.js';

/**
 * Runs async Update handlers one at a time (Temporal's safe-message-handlers pattern): two builds, or
 * a build and an IdP submission, never interleave their activities and state changes. Runs started
 * before the guard replay without it.
 */
function exclusive(run: OnboardingRun) {
  let tail: Promise<unknown> = Promise.resolve();
  return <A extends unknown[], R>(handler: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (!run.patches.exclusiveUpdates) return handler(...args);
      const result = tail.then(() => handler(...args));
      tail = result.catch(() => undefined);
      return result;
    };
}

/** Wires the query, Updates and Signal to the run; validators refuse before anything reaches history. */
export function wireHandlers(run: OnboardingRun) {
  const { input, state } = run;
  const { onboardingId } = input;
  const oneAtATime = exclusive(run);

  setHandler(getOnboardingState, () => state);

  setHandler(
    submitIdpConfig,
    oneAtATime(async (submission) => {
      const checked = await answering.validateIdpConfig(submission);
      if (!checked.ok) {
        state.problems = checked.problems;
        run.note('idp_config_invalid', `${checked.problems.length} problems`);
        return { ok: false as const, problems: checked.problems, warnings: checked.warnings };
      }
      const connection = await answering.saveConnection({
        onboardingId,
        customerName: input.customerName,
        emailDomains: input.emailDomains,
        config: checked.config,
      });
      state.problems = [];
      state.connection = connection;
      run.note('idp_config_accepted', connection.id);
      return { ok: true as const, connection, warnings: checked.warnings };
    }),
    { validator: (_submission) => run.requireStage(['config_intake'], 'IdP configuration') },
  );

  setHandler(
    nominatePilotUsers,
    oneAtATime(async ({ emails }) => {
      const connectionId = run.requireConnection().id;
      const result = await answering.enablePilotUsers({ onboardingId, connectionId, emails });
      const known = new Set(state.pilot.users.map((u) => u.sid));
      for (const user of result.users) if (!known.has(user.sid)) state.pilot.users.push({ ...user, firstLoginAt: null });
      state.pilot.unknownEmails = result.unknownEmails;
      if (result.refused) state.pilot.refused = result.refused;
      const unknown = result.unknownEmails.length ? `, ${result.unknownEmails.length} unknown` : '';
      const refused = result.refused?.length ? `, ${result.refused.length} refused` : '';
      run.note('pilot_nominated', `${result.users.length} users${unknown}${refused}`);
      return state.pilot;
    }),
    {
      validator: ({ emails }) => {
        run.requirePilotOpen('Nominating pilot users');
        if (!Array.isArray(emails) || emails.length === 0) throw run.refuse('invalid_request', 'at least one email is required');
      },
    },
  );

  setHandler(
    removePilotUsers,
    oneAtATime(async ({ userSids, reason }) => {
      const connectionId = run.requireConnection().id;
      const { removed } = await answering.removePilotUsers({ onboardingId, connectionId, userSids, reason });
      const gone = new Set([...removed, ...userSids]);
      state.pilot.users = state.pilot.users.filter((u) => !gone.has(u.sid));
      run.note('pilot_removed', `${userSids.length === 1 ? '1 user' : `${userSids.length} users`}: ${reason}`);
      return state.pilot;
    }),
    {
      validator: ({ userSids, reason }) => {
        run.requirePilotOpen('Removing pilot users');
        if (!reason?.trim()) throw run.refuse('reason_required', 'a reason is required to remove pilot users');
        if (!Array.isArray(userSids) || userSids.length === 0) throw run.refuse('invalid_request', 'name at least one pilot user');
        const known = new Set(state.pilot.users.map((u) => u.sid));
        const strangers = userSids.filter((sid) => !known.has(sid));
        if (strangers.length > 0) throw run.refuse('not_a_pilot_user', `not pilot users of this onboarding: ${strangers.join(', ')}`);
      },
    },
  );

  setHandler(
    resendApprovalLink,
    ({ step }) => {
      run.resendRequested.add(step);
      return { step };
    },
    {
      validator: ({ step }) => {
        if (run.cancelling || state.stage === 'cancelled' || state.stage === 'completed')
          throw run.refuse('wrong_stage', `no link is resent: the onboarding is ${state.stage}`);
        if (!state.pending.some((p) => p.step === step))
          throw run.refuse('no_pending_link', `no ${step.replace('_', ' ')} link is waiting in stage ${state.stage}`);
      },
    },
  );

  setHandler(
    confirmPilot,
    () => {
      state.pilot.supportConfirmed = true;
      run.note('pilot_confirmed', 'support');
      return state.pilot;
    },
    {
      validator: () => {
        run.requirePilotOpen('Confirming the pilot');
        if (state.pilot.users.length === 0) throw run.refuse('pilot_not_started', 'nominate pilot users before confirming the pilot');
      },
    },
  );

  setHandler(
    buildMigrationList,
    oneAtATime(async ({ draft, ...source }) => {
      const { listGuards } = run.patches;
      const build = { listId: newListId(), onboardingId, connectionDomains: input.emailDomains, source };
      const list = await answering.buildMigrationList(listGuards && draft ? { ...build, draft: true } : build);
      const summary = `v${list.version}: ${list.total} users, ${list.flagged} flagged`;
      if (listGuards && draft) {
        // A preview: nothing is mailed, and the list under review (if any) stays under review.
        state.draft = list;
        run.note('migration_list_drafted', summary);
        return list;
      }
      if (listGuards && list.total === 0) {
        // Nobody to review: the list is not sent, and the problem says why.
        run.setListProblems(list.problems);
        run.note('migration_list_empty', `v${list.version}`);
        return list;
      }
      adoptList(run, list);
      run.note('migration_list_built', summary);
      return list;
    }),
    {
      validator: (source) => {
        // A list by domain moves everyone with that address: only one of the domains this onboarding holds.
        if (source.method === 'domain' && !input.emailDomains.some((d) => d.toLowerCase() === source.domain.toLowerCase()))
          throw run.refuse(
            'domain_not_in_onboarding',
            `${source.domain} is not one of this onboarding's domains (${input.emailDomains.join(', ')})`,
          );
        run.requireStage(['migration_list', 'list_review'], 'Building the migration list');
      },
    },
  );

  setHandler(
    sendMigrationList,
    oneAtATime(async ({ listId }) => {
      const list = await answering.sendDraftList({ listId, onboardingId });
      adoptList(run, list);
      run.note('migration_list_built', `v${list.version}: ${list.total} users, ${list.flagged} flagged (sent from a draft)`);
      return list;
    }),
    {
      validator: ({ listId }) => {
        run.requireStage(['migration_list', 'list_review'], 'Sending the migration list');
        const { draft } = state;
        if (!draft || draft.listId !== listId)
          throw run.refuse(
            'not_a_draft',
            draft
              ? `${listId} is not the draft waiting to be sent (that is ${draft.listId}, version ${draft.version})`
              : `there is no draft list to send (build one with send: false)`,
          );
        if (draft.total === 0) throw run.refuse('empty_list', 'the draft list has no users, so it is not sent for review');
      },
    },
  );

  setHandler(
    recordApproval,
    (decision) => {
      run.decisions.set(decision.step, decision);
      state.pending = state.pending.filter((p) => p.tokenId !== decision.tokenId);
      run.note(`${decision.step}_${decision.decision === 'approve' ? 'approved' : 'rejected'}`, decision.reason);
      return { stage: state.stage };
    },
    {
      validator: (decision) => {
        if (run.cancelling || state.stage === 'cancelled' || state.stage === 'completed')
          throw run.refuse('stale_link', `the onboarding is ${state.stage}`);
        if (!state.pending.some((p) => p.tokenId === decision.tokenId && p.step === decision.step))
          throw run.refuse('stale_link', 'this link is no longer the one awaited for this step');
      },
    },
  );

  setHandler(
    cancelOnboarding,
    // Not one at a time: a cancel must interrupt a build or submission in flight, not queue behind it.
    async ({ reason, actor, revertTo }) => {
      run.cancelRequest = { reason, actor, revertTo: revertTo ?? 'enabled' };
      state.cancelReason = reason;
      // Answer once the cancellation has taken effect, so the caller sees the final stage and summary.
      await condition(() => state.stage === 'cancelled' || state.stage === 'completed');
      return state;
    },
    {
      validator: ({ reason }) => {
        if (state.stage === 'completed' || state.stage === 'cancelled')
          throw run.refuse('wrong_stage', `onboarding is already ${state.stage}`);
        if (run.cancelling) throw run.refuse('wrong_stage', 'the onboarding is already being cancelled');
        if (!reason?.trim()) throw run.refuse('reason_required', 'a reason is required to cancel');
      },
    },
  );

  setHandler(pilotUserLoggedIn, ({ userSid, at }) => {
    const user = state.pilot.users.find((u) => u.sid === userSid);
    if (user && !user.firstLoginAt) {
      user.firstLoginAt = at;
      run.note('pilot_first_login', user.email);
    }
  });
}
