import type { SsoState } from '../../contract/vocabulary.js';
import type { UserLookupItem, userDirectoryDetail } from '../../domain/directory.js';
import { plural, time } from './components.js';
import { emptyForm, type FormState, field, formProblemSummary, reasonField, selectField } from './forms.js';
import { html, type SafeHtml } from './html.js';
import type { PageOptions } from './layout.js';
import { connectionPath } from './supportConnection.js';
import { supportBrand, supportNav } from './supportDashboard.js';

export type UserDetail = Awaited<ReturnType<typeof userDirectoryDetail>>;

export const userPath = (sid: string) => `/support/users/${encodeURIComponent(sid)}`;
export const auditPathForUser = (sid: string) => `/support/audit?userSid=${encodeURIComponent(sid)}`;
export const breakGlassFields = ['state', 'reason'] as const;

const ssoWords: Record<SsoState, [string, string]> = {
  none: ['No SSO: password only', ''],
  enabled: ['SSO enabled: SSO or password', 'active'],
  enforced: ['SSO enforced: SSO only', 'ok'],
};

export function ssoStateBadge(state: SsoState): SafeHtml {
  const [words, tone] = ssoWords[state] ?? [state, ''];
  return html`<span class="badge ${tone}" data-sso-state="${state}">${words}</span>`;
}

const connectionStatusBadge = (status: string) =>
  html`<span class="badge ${status === 'active' ? 'ok' : status === 'disabled' ? 'bad' : 'warn'}" data-connection-status="${status}">${status}</span>`;

/** The one search field: an email or a user SID, told apart by the SID's shape. */
function searchForm(state: FormState): SafeHtml {
  return html`<form method="get" action="/support/users" class="filters" role="search" aria-label="Look a user up" novalidate>
${formProblemSummary(state, 'lookup', ['q'])}
${field({ formId: 'lookup', name: 'q', label: 'Email or SID', state, type: 'search', maxLength: 254, hint: 'The email matches whatever its case; a SID is US followed by 32 hex digits' })}
<button type="submit">Look up</button></form>`;
}

export function supportUserSearchPage(input: {
  state: FormState;
  found?: UserLookupItem[];
  by?: 'email' | 'sid';
  status?: number;
}): PageOptions {
  const query = input.state.values.q ?? '';
  const found = input.found;
  const rows = (found ?? []).map(
    (u) => html`<tr data-user="${u.sid}">
<th scope="row"><a href="${userPath(u.sid)}">${u.email}</a><br><code class="muted">${u.sid}</code></th>
<td>${ssoStateBadge(u.ssoState)}</td>
<td>${u.connectionId ? html`<a href="${connectionPath(u.connectionId)}"><code>${u.connectionId}</code></a>` : html`<span class="muted">none</span>`}</td>
<td>${u.lastSsoLoginAt ? time(u.lastSsoLoginAt) : html`<span class="muted">never</span>`}</td>
<td>${plural(u.activeSessions, 'live session')}</td></tr>`,
  );
  return {
    title: 'Users',
    brand: supportBrand,
    wide: true,
    nav: supportNav,
    status: input.status,
    body: html`<h1>Users</h1>
${searchForm(input.state)}
${
  found === undefined
    ? html`<p class="muted">Look a user up to see their SSO state, connection, sessions and accounts, and to change their SSO state by hand.</p>`
    : found.length === 0
      ? html`<p data-no-match role="status">No user with ${input.by === 'sid' ? 'SID' : 'email'} <strong>${query}</strong>.</p>`
      : html`<div class="table-wrap"><table><caption class="vh">Users found</caption>
<thead><tr><th scope="col">User</th><th scope="col">SSO state</th><th scope="col">Connection</th><th scope="col">Last SSO sign-in</th><th scope="col">Sessions</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}`,
  };
}

function breakGlassForm(detail: UserDetail, state: FormState | undefined): SafeHtml {
  const values = state ?? emptyForm({ state: detail.user.connectionId ? 'enabled' : 'none' });
  return html`<form method="post" action="${userPath(detail.user.sid)}/sso" id="sso" aria-label="Change the SSO state" novalidate>
${formProblemSummary(state, 'sso', breakGlassFields)}
<p>Break-glass: a user locked out of their IdP may sign in with their password again (enabled), or SSO is switched off for them altogether (none). Switching it off ends their SSO sessions.</p>
${selectField({
  formId: 'sso',
  name: 'state',
  label: 'New SSO state',
  state: values,
  options: [
    { value: 'enabled', label: 'Enabled: SSO, and the password signs in again' },
    { value: 'none', label: 'None: password only, no SSO' },
  ],
})}
${reasonField('sso', state, 'Why you change it (kept in the audit trail)')}
<button type="submit" class="danger">Change the SSO state</button></form>`;
}

function accountsSection(detail: UserDetail): SafeHtml {
  if (detail.accounts.length === 0) return html`<p class="muted">Not a member of any account.</p>`;
  return html`${detail.accounts.map(
    (
      a,
    ) => html`<section class="account" data-account="${a.sid}" aria-labelledby="account-${a.sid}"><h3 id="account-${a.sid}">${a.name} <span class="muted">(${plural(a.memberCount, 'member')})</span></h3>
<p class="muted"><code>${a.sid}</code></p>
<ul>${a.members.map(
      (m) =>
        html`<li><a href="${userPath(m.sid)}">${m.email}</a> ${ssoStateBadge(m.ssoState)}${m.sid === detail.user.sid && html` <span class="muted">(this user)</span>`}</li>`,
    )}</ul>${a.memberCount > a.members.length && html`<p class="muted">and ${plural(a.memberCount - a.members.length, 'more member')}</p>`}</section>`,
  )}`;
}

export function supportUserPage(input: {
  detail: UserDetail;
  form?: FormState;
  status?: number;
  notice?: { text: string; tone: 'ok' | 'warn' };
}): PageOptions {
  const { user, connection, sessions } = input.detail;
  return {
    title: `User ${user.email}`,
    brand: supportBrand,
    wide: true,
    nav: supportNav,
    status: input.status,
    body: html`<p><a href="/support/users">Look up another user</a> · <a href="${auditPathForUser(user.sid)}">Audit events of this user</a></p>
<h1>${user.email}</h1>
${input.notice && html`<div class="alert ${input.notice.tone}" role="status"><p>${input.notice.text}</p></div>`}
<dl class="facts" data-user-facts>
<dt>SID</dt><dd><code data-user-sid>${user.sid}</code></dd>
<dt>SSO state</dt><dd>${ssoStateBadge(user.ssoState)}</dd>
<dt>Connection</dt><dd>${
      connection
        ? html`<a href="${connectionPath(connection.id)}">${connection.customerName}</a> <code class="muted">${connection.id}</code> ${connectionStatusBadge(connection.status)}`
        : user.connectionId
          ? html`<code>${user.connectionId}</code> <span class="muted">(no longer on file)</span>`
          : html`<span class="muted">none</span>`
    }</dd>
<dt>Last SSO sign-in</dt><dd>${user.lastSsoLoginAt ? time(user.lastSsoLoginAt) : html`<span class="muted">never</span>`}</dd>
</dl>
<section aria-labelledby="h-sessions"><h2 id="h-sessions">Live sessions</h2>${
      sessions.length === 0
        ? html`<p class="muted">No live session.</p>`
        : html`<div class="table-wrap"><table><caption class="vh">Live sessions, newest first</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Started</th><th scope="col">Expires</th></tr></thead>
<tbody>${sessions.map(
            (s) =>
              html`<tr data-session><td>${s.authMethod === 'sso' ? html`SSO${s.connectionId && html` <code class="muted">${s.connectionId}</code>`}` : 'password'}</td><td>${time(s.createdAt)}</td><td>${time(s.expiresAt)}</td></tr>`,
          )}</tbody></table></div>`
    }</section>
<section aria-labelledby="h-accounts"><h2 id="h-accounts">Accounts</h2>${accountsSection(input.detail)}</section>
<section aria-labelledby="h-sso"><h2 id="h-sso">Change the SSO state</h2>${breakGlassForm(input.detail, input.form)}</section>`,
  };
}
