import type { ConnectionListItem } from '../../domain/connectionList.js';
import { certificateExpiringSoonDays } from '../../domain/connectionList.js';
import type { connectionView } from '../../domain/liveConnections.js';
import { time } from './components.js';
import { emptyForm, type FormState, field, formProblemSummary, reasonField, selectField, textArea } from './forms.js';
import { html, type SafeHtml, safeHref } from './html.js';
import type { PageOptions } from './layout.js';
import { supportNav } from './supportDashboard.js';
import { testReportSection } from './testReport.js';

export type ConnectionDetail = Awaited<ReturnType<typeof connectionView>>;
type Certificate = ConnectionDetail['idp']['certificates'][number];

/** The forms of a connection's page; the one that was refused comes back with what was typed and its problems. */
export interface ConnectionForms {
  edit?: FormState;
  certificate?: FormState;
  /** A refused removal: the certificate it was about, and the form as it was sent. */
  remove?: { fingerprintSha256: string; state: FormState };
  status?: FormState;
}

export interface SupportConnectionView {
  connection: ConnectionDetail;
  customerName: string;
  forms?: ConnectionForms;
  status?: number;
  notice?: { text: string; tone: 'ok' | 'warn' };
}

export const connectionPath = (id: string) => `/support/connections/${encodeURIComponent(id)}`;
export const editFields = ['ssoUrl', 'ssoBinding', 'logoutRedirectUrl', 'emailAttribute', 'metadataUrl', 'reason'] as const;
export const certificateFields = ['certificate', 'reason'] as const;

const statusBadge = (status: ConnectionDetail['status']) =>
  html`<span class="badge ${status === 'active' ? 'ok' : status === 'disabled' ? 'bad' : 'warn'}" data-connection-status="${status}">${status}</span>`;

/** Expired, expiring within the warning window, or fine; a retired certificate verifies nothing, so it warns of nothing. */
function expiryBadge(daysLeft: number | null, retired = false): SafeHtml {
  if (daysLeft === null) return html`<span class="muted">no certificate</span>`;
  if (retired) return html`<span class="muted">${daysLeft < 0 ? 'expired' : `${daysLeft} days left`}</span>`;
  if (daysLeft < 0) return html`<span class="badge bad" data-expiry="expired">expired ${-daysLeft} days ago</span>`;
  if (daysLeft <= certificateExpiringSoonDays)
    return html`<span class="badge warn" data-expiry="soon">expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}</span>`;
  return html`<span data-expiry="ok">${daysLeft} days left</span>`;
}

const stateBadge = (state: Certificate['state']) =>
  html`<span class="badge ${state === 'current' ? 'ok' : state === 'next' ? 'active' : ''}" data-state="${state}">${state}</span>`;

/** What support has to act on before users notice: a disabled connection, certificates near their end. */
function problems(c: ConnectionDetail): SafeHtml[] {
  const found: SafeHtml[] = [];
  if (c.status === 'disabled')
    found.push(html`<li data-problem="connection_disabled">The connection is disabled: its users cannot sign in with SSO.</li>`);
  const live = c.idp.certificates.filter((cert) => cert.state !== 'retired');
  // Logins stop only when the last certificate that verifies them runs out; that is the date that matters.
  const lastEnd = live.reduce((latest, cert) => Math.max(latest, cert.daysLeft), Number.NEGATIVE_INFINITY);
  if (live.length > 0 && lastEnd <= certificateExpiringSoonDays)
    found.push(
      html`<li data-problem="certificate_expiring">${
        lastEnd < 0
          ? 'Every signing certificate has expired: no login can be verified. Add the IdP’s new certificate.'
          : `The last signing certificate expires in ${lastEnd} day${lastEnd === 1 ? '' : 's'}: add the IdP’s next certificate before then.`
      }</li>`,
    );
  return found;
}

const removeFormId = (fingerprint: string) => `remove-${fingerprint.slice(0, 16)}`;

function certificateRow(c: ConnectionDetail, cert: Certificate, forms: ConnectionForms): SafeHtml {
  const refused = forms.remove?.fingerprintSha256 === cert.fingerprintSha256 ? forms.remove.state : undefined;
  const formId = removeFormId(cert.fingerprintSha256);
  const remove =
    cert.state !== 'retired' &&
    html`<details${refused && html` open`}><summary>Remove…</summary>
<form method="post" action="${connectionPath(c.id)}/certificates/${cert.fingerprintSha256}/remove" id="${formId}" aria-label="Remove certificate ${cert.fingerprintSha256.slice(0, 16)}">
${formProblemSummary(refused, formId, ['reason'])}
${reasonField(formId, refused, 'Why you remove it')}
<button type="submit" class="danger">Remove this certificate</button></form></details>`;
  return html`<tr data-fingerprint="${cert.fingerprintSha256}"${cert.state !== 'retired' && cert.daysLeft <= certificateExpiringSoonDays ? html` class="expiring"` : ''}>
<td>${cert.subject || html`<span class="muted">unreadable</span>`}</td>
<td><code class="fingerprint">${cert.fingerprintSha256}</code></td>
<td>${time(cert.notBefore)} –<br>${time(cert.notAfter)}</td>
<td>${expiryBadge(cert.daysLeft, cert.state === 'retired')}</td>
<td>${stateBadge(cert.state)}</td>
<td>${remove || html`<span class="muted">retired</span>`}</td></tr>`;
}

function editForm(c: ConnectionDetail, state: FormState | undefined): SafeHtml {
  const values = state ?? emptyForm(currentValues(c));
  return html`<form method="post" action="${connectionPath(c.id)}/edit" id="edit" aria-label="Edit the IdP side" novalidate>
${formProblemSummary(state, 'edit', editFields)}
${field({ formId: 'edit', name: 'ssoUrl', label: 'SSO URL', state: values, required: true, maxLength: 2048 })}
${selectField({
  formId: 'edit',
  name: 'ssoBinding',
  label: 'SSO binding',
  state: values,
  options: [
    { value: 'redirect', label: 'HTTP-Redirect' },
    { value: 'post', label: 'HTTP-POST' },
  ],
})}
${field({ formId: 'edit', name: 'logoutRedirectUrl', label: 'Logout URL', state: values, maxLength: 2048, hint: 'Empty: none' })}
${field({ formId: 'edit', name: 'emailAttribute', label: 'Email attribute', state: values, maxLength: 256, hint: 'Empty: the NameID (format emailAddress) carries the email' })}
${field({ formId: 'edit', name: 'metadataUrl', label: 'IdP metadata URL', state: values, maxLength: 2048, hint: 'Empty: none' })}
${reasonField('edit', state, 'Why you change it (kept in the audit trail)')}
<button type="submit">Save changes</button></form>`;
}

/** The edit form's fields as the connection has them now. */
export const currentValues = (c: ConnectionDetail): Record<string, string> => ({
  ssoUrl: c.idp.ssoUrl ?? '',
  ssoBinding: c.idp.ssoBinding,
  logoutRedirectUrl: c.idp.logoutRedirectUrl ?? '',
  emailAttribute: c.idp.emailAttribute ?? '',
  metadataUrl: c.idp.metadataUrl ?? '',
});

function certificateForm(c: ConnectionDetail, state: FormState | undefined): SafeHtml {
  return html`<form method="post" action="${connectionPath(c.id)}/certificates" id="certificate" aria-label="Add a certificate" novalidate>
${formProblemSummary(state, 'certificate', certificateFields)}
${textArea({
  formId: 'certificate',
  name: 'certificate',
  label: 'New signing certificate',
  hint: 'PEM (-----BEGIN CERTIFICATE-----) or base64 DER, as the IdP publishes it. It verifies logins at once, next to the current one.',
  state,
  rows: 8,
  required: true,
})}
${reasonField('certificate', state, 'Why you add it (kept in the audit trail)')}
<button type="submit">Add certificate</button></form>`;
}

function statusForm(c: ConnectionDetail, state: FormState | undefined): SafeHtml {
  const disabled = c.status === 'disabled';
  return html`<form method="post" action="${connectionPath(c.id)}/${disabled ? 'enable' : 'disable'}" id="status" aria-label="${disabled ? 'Enable' : 'Disable'} the connection" novalidate>
${formProblemSummary(state, 'status', ['reason'])}
<p>${
    disabled
      ? 'Enabling lets its users sign in with SSO again (pending until its domains are verified). Sessions ended when it was disabled stay ended.'
      : 'Disabling refuses its logins (connection_disabled), ends its SSO sessions now and takes it out of discovery. Users enforced on it can then sign in neither way.'
  }</p>
${reasonField('status', state, `Why you ${disabled ? 'enable' : 'disable'} it (kept in the audit trail)`)}
<button type="submit"${disabled ? '' : html` class="danger"`}>${disabled ? 'Enable connection' : 'Disable connection'}</button></form>`;
}

export function supportConnectionPage(view: SupportConnectionView): PageOptions {
  const c = view.connection;
  const forms = view.forms ?? {};
  const found = problems(c);
  return {
    title: `Connection ${c.id}`,
    brand: 'SSO onboarding support',
    wide: true,
    nav: supportNav,
    status: view.status,
    body: html`<p><a href="/support/connections">All connections</a>${c.onboardingId && html` · <a href="/support/onboardings/${encodeURIComponent(c.onboardingId)}">The onboarding</a>`}</p>
<h1>${view.customerName}: connection</h1>
<p><code>${c.id}</code> ${statusBadge(c.status)} · last SSO login ${c.lastLoginAt ? time(c.lastLoginAt) : html`<span class="muted">never</span>`}</p>
${view.notice && html`<div class="alert ${view.notice.tone}" role="status"><p>${view.notice.text}</p></div>`}
${found.length > 0 && html`<div class="alert warn" id="connection-problems"><p>Problems:</p><ul>${found}</ul></div>`}
<section aria-labelledby="h-sp"><h2 id="h-sp">SP side (ours)</h2>
<dl class="facts" data-sp-side>
<dt>SP entity ID</dt><dd><code>${c.spEntityId}</code></dd>
<dt>ACS URL</dt><dd><code>${c.acsUrl}</code></dd>
<dt>Metadata URL</dt><dd><a href="${safeHref(c.metadataUrl)}">${c.metadataUrl}</a></dd>
<dt>Email domains</dt><dd>${c.domains.length ? c.domains.join(', ') : html`<span class="muted">none</span>`}</dd>
</dl></section>
<section aria-labelledby="h-idp"><h2 id="h-idp">IdP side (the customer’s)</h2>
<dl class="facts" data-idp-side>
<dt>Vendor</dt><dd>${c.idp.vendor}</dd>
<dt>Entity ID</dt><dd><code>${c.idp.entityId}</code></dd>
<dt>SSO URL</dt><dd><code data-field="ssoUrl">${c.idp.ssoUrl}</code> <span class="muted">(${c.idp.ssoBinding === 'post' ? 'HTTP-POST' : 'HTTP-Redirect'})</span></dd>
<dt>Logout URL</dt><dd>${c.idp.logoutRedirectUrl ? html`<code>${c.idp.logoutRedirectUrl}</code>` : html`<span class="muted">none</span>`}</dd>
<dt>Email from</dt><dd>${c.idp.emailAttribute ? html`attribute <code>${c.idp.emailAttribute}</code>` : 'the NameID (format emailAddress)'}</dd>
<dt>IdP metadata URL</dt><dd>${c.idp.metadataUrl ? html`<code>${c.idp.metadataUrl}</code>` : html`<span class="muted">none</span>`}</dd>
</dl>
<details${forms.edit && html` open`}><summary>Edit the IdP side</summary>${editForm(c, forms.edit)}</details></section>
<section aria-labelledby="h-certificates"><h2 id="h-certificates">Signing certificates</h2>
<p class="muted">Current and next certificates verify logins; a retired one no longer does. The last current certificate cannot be removed: add its successor first.</p>
<div class="table-wrap"><table><caption class="vh">Signing certificates</caption>
<thead><tr><th scope="col">Subject</th><th scope="col">SHA-256 fingerprint</th><th scope="col">Valid</th><th scope="col">Days left</th><th scope="col">State</th><th scope="col"><span class="vh">Actions</span></th></tr></thead>
<tbody>${c.idp.certificates.map((cert) => certificateRow(c, cert, forms))}</tbody></table></div>
<h3>Add a certificate</h3>${certificateForm(c, forms.certificate)}</section>
<section aria-labelledby="h-test"><h2 id="h-test">Test sign-in</h2>
<p class="muted">Signs in once through the customer’s IdP (you need an account there, or ask the customer to use their setup page): no session is made, every check of the policy runs and each failure says what to change in their IdP.</p>
${c.idp.entityId === null ? html`<p>Not before the IdP side is given.</p>` : html`<form method="post" action="${connectionPath(c.id)}/test" id="test"><button type="submit" class="secondary">Start a test sign-in</button></form>`}
${c.lastTest ? testReportSection(c.lastTest, 3) : html`<p class="muted">No test yet.</p>`}</section>
<section aria-labelledby="h-status"><h2 id="h-status">${c.status === 'disabled' ? 'Enable' : 'Disable'}</h2>${statusForm(c, forms.status)}</section>`,
  };
}

export function supportConnectionListPage(items: ConnectionListItem[]): PageOptions {
  const rows = items.map(
    (c) => html`<tr data-connection="${c.id}">
<th scope="row"><a href="${connectionPath(c.id)}">${c.customerName}</a><br><code class="muted">${c.id}</code></th>
<td>${c.domains.join(', ')}</td>
<td>${statusBadge(c.status)}</td>
<td>${c.earliestExpiry ? html`${time(c.earliestExpiry)} ${expiryBadge(c.earliestExpiryDaysLeft)}` : html`<span class="muted">no certificate</span>`}</td>
<td>${c.onboardingId ? html`<a href="/support/onboardings/${encodeURIComponent(c.onboardingId)}">onboarding</a>` : html`<span class="muted">none</span>`}</td></tr>`,
  );
  return {
    title: 'Connections',
    brand: 'SSO onboarding support',
    wide: true,
    nav: supportNav,
    body: html`<h1>Connections</h1>
${
  items.length === 0
    ? html`<p>No connections yet: one is made when an onboarding starts.</p>`
    : html`<div class="table-wrap"><table><caption class="vh">Connections by customer</caption>
<thead><tr><th scope="col">Customer</th><th scope="col">Domains</th><th scope="col">Status</th><th scope="col">Earliest certificate expiry</th><th scope="col">Onboarding</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}`,
  };
}
