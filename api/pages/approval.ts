import type { ApprovalStep, Exhaustive } from '../../contract/onboarding.js';
import type { MigrationListHeader } from '../../domain/migrationListPages.js';
import type { PasswordKeepers, PilotUserReport } from '../../domain/pilot.js';
import { plural, time } from './components.js';
import { html, type SafeHtml } from './html.js';
import type { PageOptions } from './layout.js';
import { type ListPage, listStats, reviewTable } from './migrationTable.js';

export const stepTitles: Record<ApprovalStep, string> = {
  pilot: 'Confirm the SSO pilot',
  migration_list: 'Review the migration list',
  go_ahead: 'Go ahead: enforce SSO',
};

/** What each step's page shows; one entry per approval step, or this does not compile. */
type StepFacts = Exhaustive<
  ApprovalStep,
  {
    pilot: { users: PilotUserReport[] };
    migration_list: { list: MigrationListHeader | undefined; page: ListPage | undefined; ticked: Set<string> };
    go_ahead: { listId: string | null; toEnforce: number; alreadyEnabled: number; excluded: number; keepers: PasswordKeepers };
  }
>;
export type StepContext = { [S in ApprovalStep]: { step: S } & StepFacts[S] }[ApprovalStep];

export interface ApprovalView {
  customerName: string;
  expiresAt: Date;
  context: StepContext;
  reason?: string;
  error?: string;
  status?: number;
  /** A digest of what the page shows (pilot set, go-ahead counts), posted back so a decision is on exactly that. */
  shown?: string;
}

function pilotSection(users: PilotUserReport[]): SafeHtml {
  const signedIn = users.filter((u) => u.firstLoginAt).length;
  const rows = users.map(
    (u) =>
      html`<tr><td>${u.email}</td><td>${u.firstLoginAt ? html`<span class="badge ok">Signed in</span> ${time(u.firstLoginAt)}` : html`<span class="badge warn">Not yet</span>`}</td></tr>`,
  );
  return html`<h2>Pilot users</h2>
<p>${signedIn} of ${plural(users.length, 'pilot user')} signed in through your identity provider.${signedIn < users.length ? ' You can confirm now or wait until the others have tried.' : ''}</p>
<div class="table-wrap"><table><caption class="vh">Pilot users and their first single sign-on</caption>
<thead><tr><th scope="col">Email</th><th scope="col">Signed in with SSO</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function migrationSection(context: StepFacts['migration_list']): SafeHtml {
  if (!context.list || !context.page) return html`<p>The migration list could not be found.</p>`;
  // Users support asked for who are not on file are named, so the approver knows who is missing and why.
  const missing = context.list.problems.filter((p) => p.code === 'unknown_user_sids' || p.code === 'unknown_account_sids');
  return html`<h2>Users on the list (version ${context.list.version})</h2>${listStats(context.list)}
${missing.map((p) => html`<div class="alert warn" data-problem="${p.code}"><p>${p.message}</p></div>`)}
<p>Tick users who do not exist in your identity provider to exclude them. Approving with exclusions approves the rest; rejecting with exclusions sends you a corrected list to review again.</p>
${reviewTable(context.page, context.ticked)}`;
}

function goAheadSection(context: StepFacts['go_ahead']): SafeHtml {
  return html`<h2>What happens when you go ahead</h2>
<ul class="stats" aria-label="Users affected">
<li><strong data-count="to-enforce">${context.toEnforce.toLocaleString('en')}</strong> users will be enforced</li>
<li><strong>${context.excluded.toLocaleString('en')}</strong> excluded users stay as they are</li>
</ul>
<p>These ${plural(context.toEnforce, 'user')} will only be able to sign in through your identity provider; their console passwords stop working. ${context.alreadyEnabled.toLocaleString('en')} of them can already use single sign-on today.</p>${keepersSection(context.keepers)}`;
}

/** Users SSO is on for who are not enforced by this go-ahead (pilot users left off the list, excluded users): named. */
function keepersSection(keepers: PasswordKeepers): SafeHtml {
  if (keepers.count === 0) return html``;
  const more = keepers.count - keepers.emails.length;
  return html`<h2>Who keeps their password</h2>
<p data-count="keeping-passwords">${plural(keepers.count, 'user')} can use single sign-on but ${keepers.count === 1 ? 'is' : 'are'} not on the approved list (or ${keepers.count === 1 ? 'was' : 'were'} excluded), so ${keepers.count === 1 ? 'keeps' : 'keep'} signing in with a password after the go-ahead:</p>
<ul class="names">${keepers.emails.map((email) => html`<li>${email}</li>`)}</ul>${more > 0 ? html`<p class="muted">and ${plural(more, 'more user')}.</p>` : ''}
<p class="hint">To enforce them too, ask support for a new migration list that includes them.</p>`;
}

const intro: Record<ApprovalStep, string> = {
  pilot: 'Confirm that your pilot users could sign in through your identity provider.',
  migration_list: 'Check that every listed user exists in your identity provider.',
  go_ahead: 'Once you go ahead, these users can only sign in through your identity provider.',
};

function stepSection(context: StepContext): SafeHtml {
  switch (context.step) {
    case 'pilot':
      return pilotSection(context.users);
    case 'migration_list':
      return migrationSection(context);
    case 'go_ahead':
      return goAheadSection(context);
  }
}

/** GET shows this page; only its buttons (a POST) decide anything, so mail scanners that prefetch links approve nothing. */
export function approvalPage(view: ApprovalView): PageOptions {
  const { context } = view;
  const section = stepSection(context);
  return {
    title: stepTitles[context.step],
    status: view.status,
    wide: context.step === 'migration_list',
    brand: 'SSO onboarding',
    body: html`<h1>${stepTitles[context.step]}</h1>
<p class="lead">For <strong>${view.customerName}</strong>. ${intro[context.step]}</p>
<p class="muted">Nothing happens until you press a button. This link expires ${time(view.expiresAt)}.</p>
${view.error && html`<div class="alert error" role="alert"><p>${view.error}</p></div>`}
<form method="post">${view.shown && html`<input type="hidden" name="shown" value="${view.shown}">`}${section}
<h2>Your decision</h2>
<label for="reason">Comment <span class="muted">(required to reject)</span></label>
<textarea id="reason" name="reason" rows="3" maxlength="2000" aria-describedby="reason-hint">${view.reason ?? ''}</textarea>
<p class="hint" id="reason-hint">Support reads this. Say what is wrong if you reject.</p>
<div class="actions"><button type="submit" name="decision" value="approve">Approve</button><button type="submit" class="danger" name="decision" value="reject">Reject</button></div>
</form>`,
  };
}

const nextSteps: Record<ApprovalStep, { approve: string; reject: string }> = {
  pilot: {
    approve:
      'Once support has confirmed the pilot too, they will prepare the list of users to move to single sign-on and send it to you for review.',
    reject: 'Support has your comment. You will get a new link when the pilot is ready to be confirmed again.',
  },
  migration_list: {
    approve:
      'Single sign-on is now being enabled for the users on the list. Passwords keep working until you give the go-ahead, which we will ask you for by email.',
    reject: 'Support has your comment and will send you a corrected list to review.',
  },
  go_ahead: {
    approve: 'Single sign-on is now being enforced for the listed users. You will receive a summary by email when it is done.',
    reject: 'Nothing will be enforced. Support has your comment; you will get a new link when you are ready.',
  },
};

export function approvalResultPage(input: {
  step: ApprovalStep;
  decision: 'approve' | 'reject';
  customerName: string;
  excluded: number;
}): PageOptions {
  const approved = input.decision === 'approve';
  const next =
    input.step === 'migration_list' && !approved && input.excluded > 0
      ? `A corrected list without the ${plural(input.excluded, 'user')} you excluded will be sent to you for review.`
      : nextSteps[input.step][input.decision];
  return {
    title: approved ? 'Approved' : 'Rejected',
    brand: 'SSO onboarding',
    body: html`<h1>${approved ? 'Approved' : 'Rejected'}</h1>
<div class="alert ${approved ? 'ok' : 'warn'}" role="status"><p>Your decision on “${stepTitles[input.step]}” for <strong>${input.customerName}</strong> has been recorded${input.excluded > 0 ? ` with ${plural(input.excluded, 'exclusion')}` : ''}.</p></div>
<h2>What happens next</h2><p>${next}</p>
<p class="muted">You can close this page.</p>`,
  };
}
