// The console's users and audit log over plain HTTP: lookups, break-glass with its reason, the audit
// filters and pages, and the CSV export's quoting and formula guard, which a browser test cannot read well.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../../domain/audit.js';
import { createAccount, createUser, setUserSsoState } from '../../domain/directory.js';
import { createSession } from '../../domain/sessions.js';
import { supportToken } from '../support/deps.js';
import { useApiEnv, useSsoConnection } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const { connectionId, domain } = useSsoConnection(database);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const html = { accept: 'text/html' };
let cookie: string;
let enforced: { sid: string; email: string };
let colleague: { sid: string; email: string };
let loner: { sid: string; email: string };
let accountName: string;

beforeAll(async () => {
  const res = await fetch(`${app.baseUrl}/support/session`, {
    method: 'POST',
    body: new URLSearchParams({ token: supportToken }),
    headers: { ...html, origin: app.baseUrl },
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string;
  accountName = `Finance ${hex(3)}`;
  const account = await createAccount(database.db, { name: accountName });
  enforced = await createUser(database.db, {
    email: `Enforced.${hex(3)}@${domain}`,
    password: 'a password 123',
    accountSids: [account.sid],
  });
  colleague = await createUser(database.db, { email: `colleague.${hex(3)}@${domain}`, accountSids: [account.sid] });
  loner = await createUser(database.db, { email: `loner.${hex(3)}@elsewhere-${hex(3)}.test` });
  await setUserSsoState(database.db, { sid: enforced.sid, state: 'enforced', connectionId, actor: 'test', reason: 'test setup' });
  await createSession(database.db, { userSid: enforced.sid, authMethod: 'sso', connectionId, now: new Date() });
});

const get = (path: string, headers: Record<string, string> = { cookie }) =>
  fetch(`${app.baseUrl}${path}`, { headers: { ...html, ...headers }, redirect: 'manual' });
const page = async (path: string) => {
  const res = await get(path);
  return { status: res.status, text: await res.text() };
};
const postForm = (path: string, fields: Record<string, string>, origin = app.baseUrl) =>
  fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { ...html, cookie, origin },
    redirect: 'manual',
  });
/** The text of the inline problem under a field (forms.ts gives it the ID `<form>-<field>-error`). */
const fieldError = (text: string, id: string) => new RegExp(`id="${id}-error">([^<]*)<`).exec(text)?.[1];
const ssoStateOf = async (sid: string) =>
  (await database.sql<{ sso_state: string }[]>`select sso_state from users where sid = ${sid}`)[0]?.sso_state;
const eventRows = (text: string) =>
  [...text.matchAll(/<tr data-event="(\d+)" data-type="([^"]+)">/g)].map((m) => ({ id: m[1], type: m[2] }));
const attribute = (value: string) => value.replaceAll('&#38;', '&').replaceAll('&amp;', '&');

describe('looking a user up in the console', () => {
  it('finds a user by their email in another case, with SSO state, connection and live sessions', async () => {
    const { status, text } = await page(`/support/users?q=${encodeURIComponent(enforced.email.toUpperCase())}`);
    expect(status).toBe(200);
    expect(text).toContain(`<tr data-user="${enforced.sid}">`);
    expect(text).toContain(`href="/support/users/${enforced.sid}">${enforced.email}</a>`);
    expect(text).toContain('data-sso-state="enforced"');
    expect(text).toContain(`href="/support/connections/${connectionId}"`);
    expect(text).toContain('1 live session');
  });

  it('finds a user by SID', async () => {
    const { status, text } = await page(`/support/users?q=${loner.sid}`);
    expect(status).toBe(200);
    expect(text).toContain(`<tr data-user="${loner.sid}">`);
    expect(text).toContain('data-sso-state="none"');
  });

  it('says plainly that no user has an unknown email, keeping it in the field', async () => {
    const email = `nobody.${hex(3)}@${domain}`;
    const { status, text } = await page(`/support/users?q=${encodeURIComponent(email)}`);
    expect(status).toBe(200);
    expect(text).toContain(`No user with email <strong>${email}</strong>`);
    expect(text).toContain(`value="${email}"`);
    expect(text).not.toContain('<tr data-user=');
  });

  it('says no user has an unknown SID', async () => {
    const sid = `US${hex(16)}`;
    const { text } = await page(`/support/users?q=${sid}`);
    expect(text).toContain(`No user with SID <strong>${sid}</strong>`);
  });

  it('refuses an over-long search with 400 and the problem beside the field, keeping what was typed', async () => {
    const typed = `${'x'.repeat(260)}@example.test`;
    const { status, text } = await page(`/support/users?q=${typed}`);
    expect(status).toBe(400);
    expect(fieldError(text, 'lookup-q')).toMatch(/^Email or SID: /);
    expect(text).toContain('aria-invalid="true"');
    expect(text).toContain(`value="${typed}"`);
  });

  it('shows the user’s page: connection with customer and status, sessions, accounts with their members', async () => {
    const { status, text } = await page(`/support/users/${enforced.sid}`);
    expect(status).toBe(200);
    expect(text).toContain(`<h1>${enforced.email}</h1>`);
    expect(text).toContain(`<a href="/support/connections/${connectionId}">Acme</a>`);
    expect(text).toMatch(/data-connection-status="(pending|active)"/);
    expect(text.match(/<tr data-session>/g)).toHaveLength(1);
    expect(text).toContain(`${accountName} <span class="muted">(2 members)</span>`);
    expect(text).toContain(`<a href="/support/users/${colleague.sid}">${colleague.email}</a>`);
    expect(text).toContain(`href="/support/audit?userSid=${enforced.sid}">Audit events of this user</a>`);
  });

  it('answers a user page of an unknown or malformed SID with 404 in the console’s chrome', async () => {
    for (const sid of [`US${hex(16)}`, 'not-a-sid']) {
      const { status, text } = await page(`/support/users/${sid}`);
      expect(status).toBe(404);
      expect(text).toContain('href="/support/users">Users</a>');
    }
  });
});

describe('break-glass in the console', () => {
  it('refuses a change without a reason with 400, the problem inline and the chosen state kept', async () => {
    const res = await postForm(`/support/users/${enforced.sid}/sso`, { state: 'none', reason: '  ' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(fieldError(text, 'sso-reason')).toBe('Reason: must say why');
    expect(text).toContain('<option value="none" selected>');
    expect(await ssoStateOf(enforced.sid)).toBe('enforced');
  });

  it('names every problem at once: a state it does not offer and no reason', async () => {
    const res = await postForm(`/support/users/${enforced.sid}/sso`, { state: 'enforced' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('There are 2 problems');
    expect(fieldError(text, 'sso-state')).toContain('choose how the user may sign in');
    expect(fieldError(text, 'sso-reason')).toBeTruthy();
  });

  it('refuses enabling SSO for a user without a connection with 422 connection_required, keeping the reason', async () => {
    const res = await postForm(`/support/users/${loner.sid}/sso`, { state: 'enabled', reason: 'ticket 42' });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toContain('data-problem="connection_required"');
    expect(text).toContain('value="ticket 42"');
    expect(await ssoStateOf(loner.sid)).toBe('none');
  });

  it('changes the state with a reason, redirects with a notice, and audits it with actor support and the reason', async () => {
    const reason = `IdP down, ticket ${hex(3)}`;
    const res = await postForm(`/support/users/${enforced.sid}/sso`, { state: 'enabled', reason });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/support/users/${enforced.sid}?done=sso_changed#h-sso`);
    expect(await ssoStateOf(enforced.sid)).toBe('enabled');
    const [event] = await database.sql<{ actor: string; connection_id: string; detail: Record<string, unknown> }[]>`
      select actor, connection_id, detail from audit_events
      where user_sid = ${enforced.sid} and type = 'user.sso_state_changed' order by id desc limit 1`;
    expect(event).toMatchObject({ actor: 'support', connection_id: connectionId, detail: { from: 'enforced', to: 'enabled', reason } });
    const { text } = await page(res.headers.get('location') as string);
    expect(text).toContain('The SSO state is changed, with your reason in the audit trail.');
    expect(text).toContain('data-sso-state="enabled"');
  });

  it('refuses a break-glass posted from another site and changes nothing', async () => {
    const res = await postForm(`/support/users/${enforced.sid}/sso`, { state: 'none', reason: 'forged' }, 'https://attacker.example');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('cross_site_request');
    expect(await ssoStateOf(enforced.sid)).toBe('enabled');
  });

  it('gives an unsigned browser the sign-in form instead of a user, and refuses an unsigned change', async () => {
    const res = await get(`/support/users/${enforced.sid}`, {});
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('Support token');
    expect(text).not.toContain(enforced.email);
    const post = await fetch(`${app.baseUrl}/support/users/${enforced.sid}/sso`, {
      method: 'POST',
      body: new URLSearchParams({ state: 'none', reason: 'unsigned' }),
      headers: { ...html, origin: app.baseUrl },
      redirect: 'manual',
    });
    expect(post.status).toBe(401);
    expect(await ssoStateOf(enforced.sid)).toBe('enabled');
  });
});

describe('the console’s audit log', () => {
  const conn = `conn_${hex(12)}`;
  const onboarding = `ob_${hex(12)}`;
  const userSid = `US${hex(16)}`;

  beforeAll(async () => {
    const base = Date.parse('2026-11-01T10:00:00Z');
    for (let i = 0; i < 5; i++)
      await recordAuditEvent(database.db, {
        type: i % 2 === 0 ? 'login.refused' : 'connection.updated',
        reasonCode: i % 2 === 0 ? 'signature_invalid' : undefined,
        connectionId: conn,
        onboardingId: i === 4 ? onboarding : undefined,
        userSid: i === 0 ? userSid : undefined,
        actor: 'support',
        detail: { reason: `step ${i}`, n: i },
        at: new Date(base + i * 60_000),
      });
    await recordAuditEvent(database.db, {
      type: 'connection.updated',
      connectionId: conn,
      actor: 'support',
      detail: { reason: '=HYPERLINK("http://evil.example","x")', note: 'a, "quoted"\nline' },
      at: new Date(base + 10 * 60_000),
    });
  });

  it('narrows the events by connection and type, newest first, with links to the user, connection and onboarding', async () => {
    const all = await page(`/support/audit?connectionId=${conn}`);
    expect(all.status).toBe(200);
    expect(eventRows(all.text)).toHaveLength(6);
    const refused = await page(`/support/audit?connectionId=${conn}&type=login.refused&userSid=&from=`);
    const rows = eventRows(refused.text);
    expect(rows.map((r) => r.type)).toEqual(['login.refused', 'login.refused', 'login.refused']);
    expect(Number(rows[0]?.id)).toBeGreaterThan(Number(rows[2]?.id));
    expect(refused.text).toContain('<code class="muted" data-reason-code>signature_invalid</code>');
    expect(refused.text).toContain(`href="/support/users/${userSid}"`);
    expect(refused.text).toContain(`href="/support/connections/${conn}"`);
    expect(refused.text).toContain(`href="/support/onboardings/${onboarding}"`);
    expect(refused.text).toContain('reason: step 4; n: 4');
  });

  it('filters by onboarding, user and time', async () => {
    expect(eventRows((await page(`/support/audit?onboardingId=${onboarding}`)).text)).toHaveLength(1);
    expect(eventRows((await page(`/support/audit?userSid=${userSid}`)).text)).toHaveLength(1);
    const window = await page(`/support/audit?connectionId=${conn}&from=2026-11-01T10:01&to=2026-11-01T10:03Z`);
    expect(eventRows(window.text)).toHaveLength(2);
  });

  it('pages with the Older events link, which keeps the filters', async () => {
    const first = await page(`/support/audit?connectionId=${conn}&limit=4`);
    const older = /href="([^"]+)">Older events</.exec(first.text)?.[1];
    expect(older).toBeDefined();
    const href = attribute(older as string);
    expect(href).toContain(`connectionId=${conn}`);
    expect(href).toContain('limit=4');
    const second = await page(href);
    expect(second.status).toBe(200);
    const ids = [...eventRows(first.text), ...eventRows(second.text)].map((r) => r.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(second.text).not.toContain('>Older events<');
    expect(second.text).toContain('>Newest events<');
  });

  it('refuses bad filters with 400, every problem beside its field and what was typed kept', async () => {
    const { status, text } = await page('/support/audit?userSid=bob&from=yesterday&type=bogus');
    expect(status).toBe(400);
    expect(text).toContain('There are 3 problems');
    expect(fieldError(text, 'audit-userSid')).toMatch(/^User SID: must be a user SID/);
    expect(fieldError(text, 'audit-from')).toMatch(/^From: must be a date/);
    expect(fieldError(text, 'audit-type')).toMatch(/^Event type: must be an audit event type/);
    expect(text).toContain('value="yesterday"');
    expect(eventRows(text)).toHaveLength(0);
  });

  it('refuses a tampered cursor, or one carried to other filters, with a clear 400', async () => {
    const first = await page(`/support/audit?connectionId=${conn}&limit=2`);
    const cursor = new URL(attribute(/href="([^"]+)">Older events</.exec(first.text)?.[1] as string), app.baseUrl).searchParams.get(
      'cursor',
    );
    for (const path of [`/support/audit?connectionId=${conn}&limit=2&cursor=${cursor}x`, `/support/audit?limit=2&cursor=${cursor}`]) {
      const { status, text } = await page(path);
      expect(status).toBe(400);
      expect(text).toContain('data-problem="invalid_cursor"');
      expect(text).toContain('start again from the newest events');
    }
  });

  it('links a CSV export of the same filters', async () => {
    const { text } = await page(`/support/audit?connectionId=${conn}&type=connection.updated&limit=2`);
    expect(text).toContain(`href="/support/audit.csv?connectionId=${conn}&#38;type=connection.updated" download>Download CSV</a>`);
  });

  it('exports CSV with its headers, RFC 4180 quoting, and the formula guard', async () => {
    const res = await get(`/support/audit.csv?connectionId=${conn}&type=connection.updated`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-events-\d{8}T\d{4}\.csv"$/);
    expect(res.headers.get('x-export-truncated')).toBe('false');
    const csv = await res.text();
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('time,type,reason_code,user_sid,connection_id,onboarding_id,actor,trace_id,reason,detail');
    // The newest first: the hostile reason, apostrophe-guarded and quoted; its detail quoted with "" and the newline kept.
    expect(csv).toContain(`,support,,"'=HYPERLINK(""http://evil.example"",""x"")","{""note"":""a, \\""quoted\\""\\nline""}"\r\n`);
    expect(csv).toContain(',support,,step 3,"{""n"":3}"\r\n');
    // Three connection.updated events and the header; the filter left the login.refused ones out.
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(lines.filter((l) => l !== '')).toHaveLength(4);
    expect(csv).not.toContain('login.refused');
  });

  it('guards every kind of cell a spreadsheet would run', async () => {
    for (const [i, start] of ['+', '-', '@', '\t', '\r'].entries())
      await recordAuditEvent(database.db, { type: 'user.released', connectionId: conn, detail: { reason: `${start}cmd ${i}` } });
    const csv = await (await get(`/support/audit.csv?connectionId=${conn}&type=user.released`)).text();
    for (const [i, start] of ['+', '-', '@', '\t'].entries()) expect(csv).toContain(`,'${start}cmd ${i},`);
    expect(csv).toContain(`,"'\rcmd 4",`);
  });

  it('stops an export at 10,000 rows and says so in a last row and a header', async () => {
    const busy = `conn_${hex(12)}`;
    await database.sql`insert into audit_events (type, connection_id, detail, at)
      select 'login.refused', ${busy}, jsonb_build_object('n', n), now() - n * interval '1 millisecond' from generate_series(1, 10001) n`;
    const res = await get(`/support/audit.csv?connectionId=${busy}`);
    expect(res.headers.get('x-export-truncated')).toBe('true');
    const lines = (await res.text()).split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(1 + 10_000 + 1);
    expect(lines.at(-2)).toContain('{""n"":10000}');
    expect(lines.at(-1)).toBe('# truncated: only the newest 10000 matching events; narrow the filters for the rest');
  });

  it('refuses an export with bad filters with 400 naming them', async () => {
    const res = await get('/support/audit.csv?to=soon');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('must be a date');
  });

  it('gives an unsigned browser the sign-in form instead of the log or the export', async () => {
    for (const path of ['/support/audit', `/support/audit.csv?connectionId=${conn}`]) {
      const res = await get(path, {});
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const text = await res.text();
      expect(text).toContain('Support token');
      expect(text).not.toContain('data-event=');
    }
  });
});
