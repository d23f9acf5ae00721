import { type OnboardingEvent, revertTargets, type Stage } from '../../contract/onboarding.js';
import type { getOnboarding } from '../../domain/onboardingView.js';
import { meter, plural, stageBadge, stageLabel, time } from './components.js';
import { type FormState, formProblemSummary, reasonField, selectField, textArea } from './forms.js';
import { html, type SafeHtml, safeHref } from './html.js';
import type { PageOptions } from './layout.js';
import { type ListPage, listStats, statusTable } from './migrationTable.js';
import { refreshToggle, supportNav } from './supportDashboard.js';

type OnboardingDetail = Awaited<ReturnType<typeof getOnboarding>>;

export interface SupportOnboardingView {
  onboarding: OnboardingDetail;
  listPage: ListPage | undefined;
  listHref: (page: number, filter: ListPage['filter']) => string;
  temporalUrl: string | undefined;
  path: string;
  refreshing: boolean;
  notice?: { text: string; tone: 'ok' | 'warn' };
  /** The draft list's preview, page by page. */
  draftPage?: ListPage;
  draftHref?: (page: number, filter: ListPage['filter']) => string;
  /** Forms that came back refused, with what was typed and every problem. */
  forms?: OnboardingForms;
}

/** The onboarding page's forms, by name (each one's ID on the page is `step-<name>`). */
export interface OnboardingForms {
  pilot?: FormState;
  pilotRemove?: FormState;
  list?: FormState;
  send?: FormState;
  resend?: FormState;
  setupLink?: FormState;
  cancel?: FormState;
}

/** Stages in which each form is offered; the workflow checks the same and refuses (409) otherwise. */
const pilotStages: Stage[] = ['config_intake', 'sp_details_sent', 'pilot'];
const listStages: Stage[] = ['migration_list', 'list_review'];
const ended: Stage[] = ['completed', 'cancelled'];

const action = (o: OnboardingDetail, tail: string) => `/support/onboardings/${encodeURIComponent(o.id)}/${tail}`;

/** A form's problems that belong to no field of it: the workflow's refusal (wrong stage, …). */
const summary = (state: FormState | undefined, formId: string, fields: readonly string[]) => formProblemSummary(state, formId, fields);

const stepNames = { pilot: 'Pilot confirmation', migration_list: 'Migration list review', go_ahead: 'Go-ahead to enforce' } as const;

function event(e: OnboardingEvent): SafeHtml {
  const what = e.type === 'stage' ? `Stage: ${stageLabel(e.detail ?? '')}` : e.type.replaceAll('_', ' ');
  return html`<li>${time(e.at)}<strong>${what}</strong>${e.type !== 'stage' && e.detail ? html` — ${e.detail}` : ''}</li>`;
}

function spDetails(connection: OnboardingDetail['connection']): SafeHtml {
  if (!connection) return html`<p class="muted">Not yet: waiting for the customer’s IdP configuration.</p>`;
  return html`<p>Send these to the customer’s administrator (they were mailed when the configuration was accepted).</p>
<dl class="facts" data-sp-details>
<dt>SP entity ID</dt><dd><code>${connection.spEntityId}</code></dd>
<dt>ACS URL <span class="muted">(Security Token Consumer URL)</span></dt><dd><code>${connection.acsUrl}</code></dd>
<dt>Metadata URL</dt><dd><a href="${safeHref(connection.metadataUrl)}">${connection.metadataUrl}</a></dd>
<dt>Connection</dt><dd><a href="/support/connections/${encodeURIComponent(connection.id)}">Connection</a> <code>${connection.id}</code> <span class="badge">${connection.status}</span></dd>
</dl>`;
}

/** Each email domain's ownership: verified (how), or the TXT record to publish, a DNS check and support's override. */
function domains(o: OnboardingDetail): SafeHtml {
  const base = `/support/onboardings/${encodeURIComponent(o.id)}/domains`;
  const rows = o.domains.map(
    (d) =>
      html`<tr><td>${d.domain}</td><td>${
        d.verified
          ? html`<span class="badge ok">Verified</span> ${d.method === 'support' ? 'by support override' : d.method === 'dns' ? 'by DNS' : d.method} ${d.verifiedAt && time(d.verifiedAt)}`
          : html`<span class="badge warn">Not verified</span>`
      }</td><td><code>${d.record.name}</code> TXT <code>${d.record.value}</code></td></tr>`,
  );
  const unverified = o.domains.filter((d) => !d.verified);
  return html`<p>The customer proves each domain is theirs by publishing its TXT record (it was in the mail with the SP details). Pilot users and the migration list wait until every domain is verified.</p>
<div class="table-wrap"><table><caption class="vh">Email domains</caption><thead><tr><th scope="col">Domain</th><th scope="col">Ownership</th><th scope="col">TXT record</th></tr></thead><tbody>${rows}</tbody></table></div>
${
  unverified.length > 0 &&
  html`<form method="post" action="${base}/verify"><button type="submit">Check DNS now</button></form>
<details><summary>Override without DNS (audited)</summary>
<form method="post" action="${base}/override">
<label for="override-domain">Domain</label><select id="override-domain" name="domain">${unverified.map((d) => html`<option value="${d.domain}">${d.domain}</option>`)}</select>
<label for="override-reason">Why you know the customer owns it</label><input type="text" id="override-reason" name="reason" required maxlength="1000">
<button type="submit" class="secondary">Mark verified</button></form></details>`
}`;
}

function nominateForm(o: OnboardingDetail, state: FormState | undefined): SafeHtml {
  // A refused form is shown again whatever the stage, so its refusal (a 409 naming the stage) is read where it was sent.
  if (!state && (!pilotStages.includes(o.stage) || (o.stage !== 'pilot' && !o.connection))) return html``;
  const formId = 'step-pilot';
  return html`<form method="post" action="${action(o, 'pilot-users')}" id="${formId}" novalidate><h3>Nominate pilot users</h3>
${summary(state, formId, ['emails'])}
${textArea({ formId, name: 'emails', label: 'Email addresses', hint: 'One per line, or separated by commas. SSO is enabled for them at once; the customer is mailed the pilot link.', state, required: true, rows: 3, maxLength: 30000 })}
<button type="submit">Nominate</button></form>`;
}

function removeForm(o: OnboardingDetail, state: FormState | undefined): SafeHtml {
  if (!state && (!pilotStages.includes(o.stage) || o.pilot.users.length === 0)) return html``;
  const formId = 'step-pilotRemove';
  const ticked = new Set((state?.values.userSids ?? '').split(' ').filter(Boolean));
  return html`<form method="post" action="${action(o, 'pilot-users/remove')}" id="${formId}" novalidate><h3>Remove pilot users</h3>
${summary(state, formId, ['userSids', 'reason'])}
<div class="table-wrap" id="${formId}-userSids"><table><caption>Who leaves the pilot</caption><thead><tr><th scope="col">Remove</th><th scope="col">Email</th></tr></thead><tbody>${o.pilot.users.map(
    (u) =>
      html`<tr><td><input type="checkbox" name="userSids" value="${u.sid}" id="remove-${u.sid}"${ticked.has(u.sid) && html` checked`}></td><td><label for="remove-${u.sid}">${u.email}</label></td></tr>`,
  )}</tbody></table></div>
${reasonField(formId, state)}
<button type="submit" class="danger">Remove from the pilot</button></form>`;
}

function pilot(o: OnboardingDetail, forms: OnboardingForms): SafeHtml {
  const { users, customerConfirmed, supportConfirmed, unknownEmails } = o.pilot;
  if (users.length === 0) return html`<p class="muted">No pilot users nominated yet.</p>${nominateForm(o, forms.pilot)}`;
  const rows = users.map(
    (u) =>
      html`<tr><td>${u.email}</td><td>${u.firstLoginAt ? html`<span class="badge ok">Signed in</span> ${time(u.firstLoginAt)}` : html`<span class="badge warn">Not yet</span>`}</td></tr>`,
  );
  const confirmed = (yes: boolean) => (yes ? html`<span class="badge ok">confirmed</span>` : html`<span class="badge warn">waiting</span>`);
  return html`<div class="table-wrap"><table><caption class="vh">Pilot users</caption><thead><tr><th scope="col">Email</th><th scope="col">First SSO sign-in</th></tr></thead><tbody>${rows}</tbody></table></div>
${unknownEmails.length > 0 && html`<p>Not on file: ${unknownEmails.join(', ')}</p>`}
<dl class="facts"><dt>Customer</dt><dd>${confirmed(customerConfirmed)}</dd><dt>Support</dt><dd>${confirmed(supportConfirmed)}</dd></dl>
${
  o.stage === 'pilot' &&
  !supportConfirmed &&
  html`<form method="post" action="/support/onboardings/${encodeURIComponent(o.id)}/pilot/confirm"><button type="submit">Confirm the pilot for support</button></form>`
}
${nominateForm(o, forms.pilot)}${removeForm(o, forms.pilotRemove)}`;
}

/** The customer administrator's setup page: its link while it works, and a new one when it is lost. */
function setupLinkSection(o: OnboardingDetail, state: FormState | undefined): SafeHtml {
  if (!o.connection || (o.connection.status === 'active' && !state))
    return html`<p class="muted">Setup is over: the connection is active.</p>`;
  const formId = 'step-setup-link';
  return html`${
    o.setupUrl
      ? html`<p class="muted">This link lets whoever holds it give the IdP details and run a test sign-in; pass it on only to ${o.adminEmail}.</p><p><code data-setup-url>${o.setupUrl}</code></p>`
      : html`<p class="muted">No setup link works now (expired or replaced).</p>`
  }<form method="post" action="${action(o, 'setup-link')}" id="${formId}" novalidate><h3>Issue a new setup link</h3>
${summary(state, formId, ['reason'])}
${reasonField(formId, state)}
<button type="submit" class="secondary">Issue a new link (the old one stops working)</button></form>`;
}

function resendForm(o: OnboardingDetail, state: FormState | undefined): SafeHtml {
  if (o.pendingApprovals.length === 0 && !state) return html``;
  const formId = 'step-resend';
  return html`<form method="post" action="${action(o, 'approvals/resend')}" id="${formId}" novalidate><h3>Mail a link again</h3>
${summary(state, formId, ['step', 'reason'])}
${selectField({ formId, name: 'step', label: 'Which link', state, options: o.pendingApprovals.map((a) => ({ value: a.step, label: stepNames[a.step] })) })}
${reasonField(formId, state)}
<button type="submit" class="secondary">Mail it again to ${o.adminEmail}</button></form>`;
}

function approvals(o: OnboardingDetail, forms: OnboardingForms): SafeHtml {
  if (o.pendingApprovals.length === 0) return html`<p class="muted">No approval is waiting.</p>${resendForm(o, forms.resend)}`;
  const rows = o.pendingApprovals.map(
    (a) =>
      html`<tr><td>${stepNames[a.step]}</td><td>${time(a.expiresAt)}</td><td><a href="${safeHref(a.url)}">Open</a> <code>${a.url}</code></td></tr>`,
  );
  return html`<p class="muted">These links approve on behalf of ${o.adminEmail}; pass them on only to them.</p>
<div class="table-wrap"><table><caption class="vh">Pending approval links</caption><thead><tr><th scope="col">Step</th><th scope="col">Expires</th><th scope="col">Link</th></tr></thead><tbody>${rows}</tbody></table></div>${resendForm(o, forms.resend)}`;
}

function buildForm(o: OnboardingDetail, state: FormState | undefined): SafeHtml {
  if (!state && !listStages.includes(o.stage)) return html``;
  const formId = 'step-list';
  return html`<form method="post" action="${action(o, 'migration-list')}" id="${formId}" novalidate><h3>Build a migration list</h3>
<p class="hint">It is built as a draft to preview; nothing is mailed until you send it.</p>
${summary(state, formId, ['method', 'domain', 'sids'])}
${selectField({
  formId,
  name: 'method',
  label: 'Who is on it',
  state,
  options: [
    { value: 'domain', label: 'Everyone with an address at a domain' },
    { value: 'userSids', label: 'The users named below (user SIDs)' },
    { value: 'accountSids', label: 'The members of the accounts named below (account SIDs)' },
  ],
})}
${selectField({ formId, name: 'domain', label: 'Domain (for a list by domain)', state, options: o.emailDomains.map((d) => ({ value: d, label: d })) })}
${textArea({ formId, name: 'sids', label: 'User or account SIDs (for a list by SIDs)', hint: 'One per line, or separated by commas or spaces.', state, rows: 4 })}
<button type="submit">Build the draft</button></form>`;
}

function draftPreview(view: SupportOnboardingView): SafeHtml {
  const o = view.onboarding;
  const { draft } = o;
  const formId = 'step-send';
  const state = view.forms?.send;
  if (!draft || !listStages.includes(o.stage)) return summary(state, formId, []);
  return html`<section aria-labelledby="h-draft" data-draft="${draft.listId}"><h3 id="h-draft">Draft version ${draft.version}: preview</h3>
${listStats(draft)}
${draft.problems.map((p) => html`<div class="alert warn" data-problem="${p.code}"><p>${p.message}</p></div>`)}
${view.draftPage && view.draftHref && statusTable(view.draftPage, view.draftHref)}
<form method="post" action="${action(o, `migration-list/${encodeURIComponent(draft.listId)}/send`)}" id="${formId}">${summary(state, formId, [])}
<button type="submit">Send version ${draft.version} for review (${plural(draft.total, 'user')})</button></form></section>`;
}

function cancelForm(o: OnboardingDetail, state: FormState | undefined): SafeHtml {
  if (ended.includes(o.stage))
    return html`${summary(state, 'step-cancel', [])}<p class="muted">The onboarding has ended; there is nothing to cancel.</p>`;
  const formId = 'step-cancel';
  const revertWords: Record<(typeof revertTargets)[number], string> = {
    enabled: 'Enforced users go back to enabled (SSO or password) — the default',
    none: 'Everyone this onboarding switched on goes back to password only (no SSO)',
    keep: 'Leave every user as they are now',
  };
  return html`<form method="post" action="${action(o, 'cancel')}" id="${formId}" novalidate>
${summary(state, formId, ['revertTo', 'reason'])}
${selectField({ formId, name: 'revertTo', label: 'What happens to the users', state, options: revertTargets.map((t) => ({ value: t, label: revertWords[t] })) })}
${reasonField(formId, state, 'Why it is cancelled (kept in the audit trail)')}
<button type="submit" class="danger">Cancel the onboarding</button></form>`;
}

function migration(view: SupportOnboardingView): SafeHtml {
  const list = view.onboarding.migration;
  const { draft } = view.onboarding;
  const draftNote =
    draft &&
    html`<div class="alert warn" role="status"><p>Draft version ${draft.version} (${plural(draft.total, 'user')}, ${draft.flagged.toLocaleString('en')} flagged) is not sent yet: preview it below and send it for review.</p></div>`;
  const build = html`${draftPreview(view)}${buildForm(view.onboarding, view.forms?.list)}`;
  if (!list || !view.listPage) return html`${draftNote}<p class="muted">No migration list sent yet.</p>${build}`;
  // Each problem's message names what it is about (the first SIDs or emails); the rest are in the API.
  return html`${draftNote}<p>Version ${list.version}, built by ${list.method}, <span class="badge">${list.status}</span></p>${listStats(list)}
${list.problems.map((p) => html`<div class="alert warn" data-problem="${p.code}"><p>${p.message}</p></div>`)}
${statusTable(view.listPage, view.listHref)}${build}`;
}

/** Where the next step is done on its own page: IdP details while intake waits, the connection once it exists. */
function stepLinks(o: OnboardingDetail): SafeHtml {
  const links = [
    o.stage === 'config_intake' && html`<a class="button" href="${action(o, 'idp-config')}">IdP details</a>`,
    o.connection && html`<a class="button secondary" href="/support/connections/${encodeURIComponent(o.connection.id)}">Connection</a>`,
  ].filter(Boolean);
  return links.length > 0 ? html`<p class="actions">${links}</p>` : html``;
}

export function supportOnboardingPage(view: SupportOnboardingView): PageOptions {
  const o = view.onboarding;
  const forms = view.forms ?? {};
  const { progress } = o;
  return {
    title: o.customerName,
    brand: 'SSO onboarding support',
    wide: true,
    nav: supportNav,
    refreshSeconds: view.refreshing ? 5 : undefined,
    body: html`<p><a href="/support">All onboardings</a></p>
<h1>${o.customerName}</h1>
<p>${stageBadge(o.stage)} Administrator ${o.adminEmail} · domains ${o.emailDomains.join(', ')}${view.temporalUrl && html` · <a href="${safeHref(view.temporalUrl)}">Open the workflow in Temporal</a>`}</p>
${o.customerId && html`<p class="muted">In Temporal: <code data-customer-id>CustomerId = "${o.customerId}"</code> (or <code>CustomerName = "${o.customerName}"</code>)</p>`}
${view.notice && html`<div class="alert ${view.notice.tone}" role="status"><p>${view.notice.text}</p></div>`}
${stepLinks(o)}
${refreshToggle(view.path, view.refreshing)}
<section aria-labelledby="h-problems"><h2 id="h-problems">Problems</h2>${
      o.problems.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<div class="alert warn"><ul data-problems>${o.problems.map((p) => html`<li data-problem="${p.code}"><code>${p.code}</code> ${p.message}</li>`)}</ul></div>`
    }</section>
<section aria-labelledby="h-progress"><h2 id="h-progress">Progress</h2>
${meter('enable-progress', 'Enabled', progress.enabled, progress.total)}${meter('enforce-progress', 'Enforced', progress.enforced, progress.total)}
${o.summary && html`<p>${o.summary.stage === 'completed' ? 'Completed' : 'Ended'}: ${plural(o.summary.counts.enforced, 'user')} enforced, ${plural(o.summary.counts.excluded, 'user')} excluded, ${plural(o.summary.counts.reverted, 'user')} reverted.</p>`}
${o.summary?.keepingPasswords?.count ? html`<p data-count="keeping-passwords">${plural(o.summary.keepingPasswords.count, 'user')} keep${o.summary.keepingPasswords.count === 1 ? 's' : ''} signing in with a password (SSO enabled, not enforced): ${o.summary.keepingPasswords.emails.join(', ')}${o.summary.keepingPasswords.count > o.summary.keepingPasswords.emails.length ? ', …' : ''}</p>` : ''}
${o.cancelReason && html`<p>Cancelled: ${o.cancelReason}</p>`}</section>
<section aria-labelledby="h-sp"><h2 id="h-sp">SP details to send</h2>${spDetails(o.connection)}</section>
<section aria-labelledby="h-setup"><h2 id="h-setup">Customer’s setup page</h2>${setupLinkSection(o, forms.setupLink)}</section>
<section aria-labelledby="h-domains"><h2 id="h-domains">Email domains</h2>${domains(o)}</section>
<section aria-labelledby="h-pilot"><h2 id="h-pilot">Pilot</h2>${pilot(o, forms)}</section>
<section aria-labelledby="h-approvals"><h2 id="h-approvals">Pending approval links</h2>${approvals(o, forms)}</section>
<section aria-labelledby="h-list"><h2 id="h-list">Migration list</h2>${migration(view)}</section>
<section aria-labelledby="h-cancel"><h2 id="h-cancel">Cancel</h2>${cancelForm(o, forms.cancel)}</section>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2><ol class="timeline">${o.events.map(event)}</ol></section>`,
  };
}
