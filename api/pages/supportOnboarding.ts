import type { OnboardingEvent } from '../../contract/onboarding.js';
import type { getOnboarding } from '../../domain/onboardingView.js';
import { meter, plural, stageBadge, stageLabel, time } from './components.js';
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
}

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
<dt>Connection</dt><dd><code>${connection.id}</code> <span class="badge">${connection.status}</span></dd>
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

function pilot(o: OnboardingDetail): SafeHtml {
  const { users, customerConfirmed, supportConfirmed, unknownEmails } = o.pilot;
  if (users.length === 0) return html`<p class="muted">No pilot users nominated yet.</p>`;
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
}`;
}

function approvals(o: OnboardingDetail): SafeHtml {
  if (o.pendingApprovals.length === 0) return html`<p class="muted">No approval is waiting.</p>`;
  const rows = o.pendingApprovals.map(
    (a) =>
      html`<tr><td>${stepNames[a.step]}</td><td>${time(a.expiresAt)}</td><td><a href="${safeHref(a.url)}">Open</a> <code>${a.url}</code></td></tr>`,
  );
  return html`<p class="muted">These links approve on behalf of ${o.adminEmail}; pass them on only to them.</p>
<div class="table-wrap"><table><caption class="vh">Pending approval links</caption><thead><tr><th scope="col">Step</th><th scope="col">Expires</th><th scope="col">Link</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function migration(view: SupportOnboardingView): SafeHtml {
  const list = view.onboarding.migration;
  const { draft } = view.onboarding;
  const draftNote =
    draft &&
    html`<div class="alert warn" role="status" data-draft="${draft.listId}"><p>Draft version ${draft.version} (${plural(draft.total, 'user')}, ${draft.flagged.toLocaleString('en')} flagged) is not sent yet. Preview it with <code>GET /api/migration-lists/${draft.listId}</code>; send it for review with <code>POST /api/migration-lists/${draft.listId}/send</code>.</p>${draft.problems.map((p) => html`<p>${p.message}</p>`)}</div>`;
  if (!list || !view.listPage) return html`${draftNote}<p class="muted">No migration list yet.</p>`;
  // Each problem's message names what it is about (the first SIDs or emails); the rest are in the API.
  return html`${draftNote}<p>Version ${list.version}, built by ${list.method}, <span class="badge">${list.status}</span></p>${listStats(list)}
${list.problems.map((p) => html`<div class="alert warn" data-problem="${p.code}"><p>${p.message}</p></div>`)}
${statusTable(view.listPage, view.listHref)}`;
}

export function supportOnboardingPage(view: SupportOnboardingView): PageOptions {
  const o = view.onboarding;
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
${refreshToggle(view.path, view.refreshing)}
<section aria-labelledby="h-problems"><h2 id="h-problems">Problems</h2>${
      o.problems.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<ul>${o.problems.map((p) => html`<li><code>${p.code}</code> ${p.message}</li>`)}</ul>`
    }</section>
<section aria-labelledby="h-progress"><h2 id="h-progress">Progress</h2>
${meter('enable-progress', 'Enabled', progress.enabled, progress.total)}${meter('enforce-progress', 'Enforced', progress.enforced, progress.total)}
${o.summary && html`<p>${o.summary.stage === 'completed' ? 'Completed' : 'Ended'}: ${plural(o.summary.counts.enforced, 'user')} enforced, ${plural(o.summary.counts.excluded, 'user')} excluded, ${plural(o.summary.counts.reverted, 'user')} reverted.</p>`}
${o.summary?.keepingPasswords?.count ? html`<p data-count="keeping-passwords">${plural(o.summary.keepingPasswords.count, 'user')} keep${o.summary.keepingPasswords.count === 1 ? 's' : ''} signing in with a password (SSO enabled, not enforced): ${o.summary.keepingPasswords.emails.join(', ')}${o.summary.keepingPasswords.count > o.summary.keepingPasswords.emails.length ? ', …' : ''}</p>` : ''}
${o.cancelReason && html`<p>Cancelled: ${o.cancelReason}</p>`}</section>
<section aria-labelledby="h-sp"><h2 id="h-sp">SP details to send</h2>${spDetails(o.connection)}</section>
<section aria-labelledby="h-domains"><h2 id="h-domains">Email domains</h2>${domains(o)}</section>
<section aria-labelledby="h-pilot"><h2 id="h-pilot">Pilot</h2>${pilot(o)}</section>
<section aria-labelledby="h-approvals"><h2 id="h-approvals">Pending approval links</h2>${approvals(o)}</section>
<section aria-labelledby="h-list"><h2 id="h-list">Migration list</h2>${migration(view)}</section>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2><ol class="timeline">${o.events.map(event)}</ol></section>`,
  };
}
