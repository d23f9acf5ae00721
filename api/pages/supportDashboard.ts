import type { Problem } from '../../contract/onboarding.js';
import type { OnboardingOverview } from '../../domain/supportOverview.js';
import { meter, plural, stageBadge, time } from './components.js';
import { html, type SafeHtml } from './html.js';
import type { PageOptions } from './layout.js';

/** The support console's top bar: its sections, and signing out. */
export const supportNav = html`<nav aria-label="Support console"><a href="/support">Onboardings</a><a href="/support/users">Users</a><a href="/support/audit">Audit log</a><form method="post" action="/support/sign-out"><button type="submit" class="secondary">Sign out</button></form></nav>`;

/** Auto-refresh only when support asks for it, and the same link turns it off (a page that reloads by itself is hard to use). */
export function refreshToggle(path: string, refreshing: boolean): SafeHtml {
  return refreshing
    ? html`<p class="muted">This page refreshes every 5 seconds. <a href="${path}">Stop refreshing</a></p>`
    : html`<p><a href="${path}${path.includes('?') ? '&' : '?'}refresh=1">Refresh automatically every 5 seconds</a></p>`;
}

function problemsCell(problems: Problem[] | undefined): SafeHtml {
  if (problems === undefined) return html`<span class="muted">unknown (workflow not answering)</span>`;
  if (problems.length === 0) return html`<span class="muted">none</span>`;
  return html`<span class="badge bad">${plural(problems.length, 'problem')}</span> ${problems[0]?.message}`;
}

export function supportDashboardPage(input: {
  onboardings: OnboardingOverview[];
  problems: Map<string, Problem[] | undefined>;
  temporalDown: boolean;
  refreshing: boolean;
}): PageOptions {
  const rows = input.onboardings.map(
    (o) => html`<tr data-onboarding="${o.id}">
<th scope="row"><a href="/support/onboardings/${encodeURIComponent(o.id)}">${o.customerName}</a><br><span class="muted">${o.adminEmail}</span>${o.customerId && html`<br><span class="muted">CustomerId <code data-customer-id>${o.customerId}</code></span>`}</th>
<td>${stageBadge(o.stage)}</td>
<td>${problemsCell(input.problems.get(o.id))}</td>
<td>${meter(`enable-${o.id}`, 'Enabled', o.enabled, o.total, o.customerName)}${meter(`enforce-${o.id}`, 'Enforced', o.enforced, o.total, o.customerName)}</td>
<td>${time(o.updatedAt)}</td></tr>`,
  );
  return {
    title: 'Support dashboard',
    brand: 'SSO onboarding support',
    wide: true,
    nav: supportNav,
    refreshSeconds: input.refreshing ? 5 : undefined,
    body: html`<h1>Onboardings</h1>
${input.temporalDown && html`<div class="alert warn" role="status"><p>Temporal is not answering: stages and counts below come from the database; problems are unknown.</p></div>`}
${refreshToggle('/support', input.refreshing)}
${
  input.onboardings.length === 0
    ? html`<p>No onboardings yet. Start one with <code>POST /api/onboardings</code> or <code>npm run cli -- start</code>.</p>`
    : html`<div class="table-wrap"><table><caption class="vh">Onboardings, newest first</caption>
<thead><tr><th scope="col">Customer</th><th scope="col">Stage</th><th scope="col">Problems</th><th scope="col">Progress</th><th scope="col">Updated</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}`,
  };
}
