import type { Problem } from '../../contract/onboarding.js';
import { stages } from '../../contract/vocabulary.js';
import type { OnboardingFilter, OnboardingOverview } from '../../domain/supportOverview.js';
import { meter, plural, stageBadge, stageLabel, time } from './components.js';
import { field, selectField } from './forms.js';
import { html, type SafeHtml } from './html.js';
import type { PageOptions } from './layout.js';

/** What the top bar of every support console page calls it. */
export const supportBrand = 'SSO onboarding support';

/** The support console's top bar: its sections, and signing out. */
export const supportNav = html`<nav aria-label="Support console"><a href="/support">Onboardings</a><a href="/support/connections">Connections</a><a href="/support/users">Users</a><a href="/support/audit">Audit log</a><form method="post" action="/support/sign-out"><button type="submit" class="secondary">Sign out</button></form></nav>`;

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

const filtering = (filter: OnboardingFilter) => Object.values(filter).some((v) => v !== undefined);

/** The dashboard's address for a search (what the refresh link keeps). */
export function dashboardPath(filter: OnboardingFilter): string {
  const query = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string')).toString();
  return query ? `/support?${query}` : '/support';
}

/** The dashboard's search: a GET form, so a filtered view is a link support can share. */
function filterForm(filter: OnboardingFilter): SafeHtml {
  const state = { values: { customer: filter.customer, domain: filter.domain, stage: filter.stage ?? '' }, problems: [] };
  const formId = 'filter';
  return html`<form method="get" action="/support" class="filters" role="search" aria-label="Search onboardings">
${field({ formId, name: 'customer', label: 'Customer', state, maxLength: 200, hint: 'Part of the name, CustomerId or administrator’s email' })}
${field({ formId, name: 'domain', label: 'Email domain', state, maxLength: 253 })}
${selectField({ formId, name: 'stage', label: 'Stage', state, options: [{ value: '', label: 'Any stage' }, ...stages.map((s) => ({ value: s, label: stageLabel(s) }))] })}
<button type="submit">Search</button>${filtering(filter) && html` <a href="/support">Show all</a>`}
</form>`;
}

export function supportDashboardPage(input: {
  onboardings: OnboardingOverview[];
  problems: Map<string, Problem[] | undefined>;
  temporalDown: boolean;
  refreshing: boolean;
  filter?: OnboardingFilter;
}): PageOptions {
  const filter = input.filter ?? {};
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
    brand: supportBrand,
    wide: true,
    nav: supportNav,
    refreshSeconds: input.refreshing ? 5 : undefined,
    body: html`<h1>Onboardings</h1>
<p><a class="button" href="/support/onboardings/new">Start an onboarding</a></p>
${filterForm(filter)}
${input.temporalDown && html`<div class="alert warn" role="status"><p>Temporal is not answering: stages and counts below come from the database; problems are unknown.</p></div>`}
${refreshToggle(dashboardPath(filter), input.refreshing)}
${
  input.onboardings.length === 0
    ? filtering(filter)
      ? html`<p data-no-match>No onboarding matches this search. <a href="/support">Show all onboardings</a></p>`
      : html`<p>No onboardings yet. <a href="/support/onboardings/new">Start one here</a>, or with <code>POST /api/onboardings</code> or <code>npm run cli -- start</code>.</p>`
    : html`<div class="table-wrap"><table><caption class="vh">${filtering(filter) ? 'Onboardings matching the search' : 'Onboardings'}, newest first</caption>
<thead><tr><th scope="col">Customer</th><th scope="col">Stage</th><th scope="col">Problems</th><th scope="col">Progress</th><th scope="col">Updated</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}`,
  };
}
