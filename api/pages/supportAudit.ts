import { auditEventTypes } from '../../domain/audit.js';
import type { AuditEventView } from '../../domain/auditLog.js';
import { type FormState, field, formProblemSummary, selectField } from './forms.js';
import { html, type SafeHtml } from './html.js';
import type { PageOptions } from './layout.js';
import { connectionPath } from './supportConnection.js';
import { supportBrand, supportNav } from './supportDashboard.js';
import { userPath } from './supportUsers.js';

/** The audit log's filters as the form and its links carry them: text, exactly as typed. */
export const auditFilterFields = ['userSid', 'connectionId', 'onboardingId', 'type', 'from', 'to'] as const;
export type AuditFilterValues = Partial<Record<(typeof auditFilterFields)[number] | 'limit', string>>;

/** The audit log's address for these filters (and a cursor, a CSV export): what its links keep. */
export function auditPath(values: AuditFilterValues, extra: { cursor?: string; csv?: boolean } = {}): string {
  const query = new URLSearchParams(
    Object.entries({ ...values, cursor: extra.cursor }).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );
  if (extra.csv) query.delete('limit');
  const text = query.toString();
  const base = extra.csv ? '/support/audit.csv' : '/support/audit';
  return text ? `${base}?${text}` : base;
}

const detailText = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

/** The detail in one line, the reason first: it is what support reads the log for. */
export function detailSummary(detail: Record<string, unknown>, max = 240): string {
  const { reason, ...rest } = detail;
  const parts = [
    ...(reason === undefined ? [] : [`reason: ${detailText(reason)}`]),
    ...Object.entries(rest).map(([key, value]) => `${key}: ${detailText(value)}`),
  ];
  const text = parts.join('; ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function filterForm(state: FormState): SafeHtml {
  const formId = 'audit';
  const timeHint = 'A date or an ISO time such as 2026-12-04T09:30, UTC unless it says otherwise';
  return html`<form method="get" action="/support/audit" class="filters" role="search" aria-label="Filter the audit log" novalidate>
${formProblemSummary(state, formId, auditFilterFields)}
${field({ formId, name: 'userSid', label: 'User SID', state, maxLength: 100 })}
${field({ formId, name: 'connectionId', label: 'Connection ID', state, maxLength: 100 })}
${field({ formId, name: 'onboardingId', label: 'Onboarding ID', state, maxLength: 100 })}
${selectField({
  formId,
  name: 'type',
  label: 'Event type',
  state,
  options: [{ value: '', label: 'Any type' }, ...Object.keys(auditEventTypes).map((type) => ({ value: type, label: type }))],
})}
${field({ formId, name: 'from', label: 'From', state, maxLength: 40, hint: `${timeHint}; inclusive` })}
${field({ formId, name: 'to', label: 'Before', state, maxLength: 40, hint: `${timeHint}; exclusive` })}
${state.values.limit && html`<input type="hidden" name="limit" value="${state.values.limit}">`}
<button type="submit">Filter</button> <a href="/support/audit">Clear the filters</a></form>`;
}

/** Events come seconds apart: the log shows the second, where other pages show the minute. */
const secondsTime = (at: string) => html`<time datetime="${at}">${at.slice(0, 19).replace('T', ' ')} UTC</time>`;

function eventRow(e: AuditEventView, emails: Map<string, string>): SafeHtml {
  const email = e.userSid ? emails.get(e.userSid) : undefined;
  return html`<tr data-event="${e.id}" data-type="${e.type}">
<td>${secondsTime(e.at)}</td>
<td><code>${e.type}</code>${e.reasonCode && html`<br><code class="muted" data-reason-code>${e.reasonCode}</code>`}</td>
<td>${e.userSid && html`<a href="${userPath(e.userSid)}">${email ?? e.userSid}</a>`}</td>
<td>${e.connectionId && html`<a href="${connectionPath(e.connectionId)}"><code>${e.connectionId}</code></a>`}</td>
<td>${e.onboardingId && html`<a href="/support/onboardings/${encodeURIComponent(e.onboardingId)}"><code>${e.onboardingId}</code></a>`}</td>
<td>${e.actor ?? ''}</td>
<td class="detail">${detailSummary(e.detail)}</td></tr>`;
}

export function supportAuditPage(input: {
  state: FormState;
  values: AuditFilterValues;
  events?: AuditEventView[];
  nextCursor?: string | null;
  paged?: boolean;
  emails?: Map<string, string>;
  status?: number;
}): PageOptions {
  const events = input.events;
  const emails = input.emails ?? new Map<string, string>();
  return {
    title: 'Audit log',
    brand: supportBrand,
    wide: true,
    nav: supportNav,
    status: input.status,
    body: html`<h1>Audit log</h1>
${filterForm(input.state)}
${
  events === undefined
    ? html`<p><a href="/support/audit">Show the newest events</a></p>`
    : html`<p><a class="button secondary" href="${auditPath(input.values, { csv: true })}" download>Download CSV</a> <span class="muted">(these filters, the newest 10,000 events)</span></p>
${
  events.length === 0
    ? html`<p data-no-match role="status">No audit event matches these filters${input.paged ? ' beyond the page before' : ''}.</p>`
    : html`<div class="table-wrap"><table><caption class="vh">Audit events, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Type and reason code</th><th scope="col">User</th><th scope="col">Connection</th><th scope="col">Onboarding</th><th scope="col">Actor</th><th scope="col">Detail</th></tr></thead>
<tbody>${events.map((e) => eventRow(e, emails))}</tbody></table></div>`
}
<nav class="pager" aria-label="Audit log pages">${input.paged && html`<a class="button secondary" href="${auditPath(input.values)}">Newest events</a>`}${input.nextCursor && html`<a class="button secondary" href="${auditPath(input.values, { cursor: input.nextCursor })}">Older events</a>`}</nav>`
}`,
  };
}

export const auditCsvColumns = [
  'time',
  'type',
  'reason_code',
  'user_sid',
  'connection_id',
  'onboarding_id',
  'actor',
  'trace_id',
  'reason',
  'detail',
] as const;

/**
 * One CSV cell: a leading = + - @ tab or CR gets an apostrophe, so a spreadsheet shows it as text instead of
 * running it as a formula (OWASP's CSV injection advice: the detail holds text any customer or support typed).
 */
export function csvCell(value: string | null | undefined): string {
  const text = value ?? '';
  const guarded = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

const csvRow = (cells: (string | null | undefined)[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** RFC 4180: a header row, CRLF line ends; a cut-off export says so in a last row of its own. */
export function auditCsv(events: AuditEventView[], truncated: { maxRows: number } | undefined): string {
  let out = csvRow([...auditCsvColumns]);
  for (const e of events) {
    const { reason, ...rest } = e.detail;
    out += csvRow([
      e.at,
      e.type,
      e.reasonCode,
      e.userSid,
      e.connectionId,
      e.onboardingId,
      e.actor,
      e.traceId,
      reason === undefined ? '' : detailText(reason),
      Object.keys(rest).length === 0 ? '' : JSON.stringify(rest),
    ]);
  }
  if (truncated) out += csvRow([`# truncated: only the newest ${truncated.maxRows} matching events; narrow the filters for the rest`]);
  return out;
}
