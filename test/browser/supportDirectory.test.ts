import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../../domain/audit.js';
import { createAccount, createUser, setUserSsoState } from '../../domain/directory.js';
import { screenshot, useBrowser, watchedPage } from '../support/browser.js';
import { supportToken } from '../support/deps.js';
import { useApiEnv, useSsoConnection } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const { connectionId, domain } = useSsoConnection(database);
const browser = useBrowser();
const tag = randomBytes(4).toString('hex');
const email = `locked.out.${tag}@${domain}`;
const accountName = `Payroll ${tag}`;
const refusals = 53;
let user: { sid: string; email: string };
let colleague: { sid: string; email: string };
let page: Page;
let errors: string[];

const shot = (name: string) => screenshot(page, 'support-directory', name);
const heading = () => page.getByRole('heading', { level: 1 }).textContent();
const nav = () => page.getByRole('navigation', { name: 'Support console' });
const ssoStateOf = async (sid: string) =>
  (await database.sql<{ sso_state: string }[]>`select sso_state from users where sid = ${sid}`)[0]?.sso_state;
const eventRows = () => page.locator('tr[data-event]');

beforeAll(async () => {
  const account = await createAccount(database.db, { name: accountName });
  user = await createUser(database.db, { email, password: 'a password 123', accountSids: [account.sid] });
  colleague = await createUser(database.db, { email: `colleague.${tag}@${domain}`, accountSids: [account.sid] });
  await setUserSsoState(database.db, { sid: user.sid, state: 'enforced', connectionId, actor: 'test', reason: 'test setup' });
  // More refused logins on the connection than one page of the audit log shows (50).
  const start = Date.parse('2026-11-20T08:00:00Z');
  for (let i = 0; i < refusals; i++)
    await recordAuditEvent(database.db, {
      type: 'login.refused',
      reasonCode: 'signature_invalid',
      connectionId,
      detail: { attempt: i },
      at: new Date(start + i * 1000),
    });
  ({ page, errors } = await watchedPage(browser, app.baseUrl));
});

describe('support looking a user up, breaking glass and reading the audit log in the console', () => {
  it('signs in and reaches Users from the top bar', async () => {
    await page.goto(`${app.baseUrl}/support`);
    await page.getByLabel('Support token').fill(supportToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(heading).toBe('Onboardings');
    await nav().getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(`${app.baseUrl}/support/users`);
    expect(await heading()).toBe('Users');
  });

  it('finds the user by email, whatever its case, and opens their page', async () => {
    await page.getByLabel('Email or SID').fill(email.toUpperCase());
    await page.getByRole('button', { name: 'Look up' }).click();
    const row = page.locator(`tr[data-user="${user.sid}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('[data-sso-state]').getAttribute('data-sso-state')).toBe('enforced');
    await shot('01-lookup');
    await row.getByRole('link', { name: email }).click();
    await page.waitForURL(`${app.baseUrl}/support/users/${user.sid}`);
    expect(await heading()).toBe(email);
    const facts = page.locator('[data-user-facts]');
    expect(await facts.locator('[data-sso-state]').getAttribute('data-sso-state')).toBe('enforced');
    expect(await facts.getByRole('link', { name: 'Acme' }).getAttribute('href')).toBe(`/support/connections/${connectionId}`);
    const account = page.getByRole('region', { name: `${accountName} (2 members)` });
    expect(await account.getByRole('link', { name: colleague.email }).getAttribute('href')).toBe(`/support/users/${colleague.sid}`);
    await shot('02-user');
  });

  it('refuses break-glass without a reason, the problem beside the field and the state kept', async () => {
    const form = page.getByRole('form', { name: 'Change the SSO state' });
    await form.getByLabel('New SSO state').selectOption('none');
    await form.getByRole('button', { name: 'Change the SSO state' }).click();
    await expect.poll(() => page.locator('#sso-reason-error').textContent()).toBe('Reason: must say why');
    expect(await page.getByLabel('New SSO state').inputValue()).toBe('none');
    expect(await page.getByLabel('Why you change it (kept in the audit trail)').getAttribute('aria-invalid')).toBe('true');
    expect(await ssoStateOf(user.sid)).toBe('enforced');
    await shot('03-break-glass-no-reason');
  });

  it('lets the user sign in with a password again once a reason is given, and says so', async () => {
    await page.getByLabel('New SSO state').selectOption('enabled');
    await page.getByLabel('Why you change it (kept in the audit trail)').fill(`IdP outage, ticket ${tag}`);
    await page.getByRole('button', { name: 'Change the SSO state' }).click();
    await page.waitForURL(`${app.baseUrl}/support/users/${user.sid}?done=sso_changed#h-sso`);
    expect(await page.getByRole('status').textContent()).toContain('The SSO state is changed');
    expect(await page.locator('[data-user-facts] [data-sso-state]').getAttribute('data-sso-state')).toBe('enabled');
    expect(await ssoStateOf(user.sid)).toBe('enabled');
    await shot('04-break-glass-done');
  });

  it('follows to the user’s audit events: the change with actor support and its reason', async () => {
    await page.getByRole('link', { name: 'Audit events of this user' }).click();
    await page.waitForURL(`${app.baseUrl}/support/audit?userSid=${user.sid}`);
    expect(await heading()).toBe('Audit log');
    expect(await page.getByLabel('User SID').inputValue()).toBe(user.sid);
    const newest = eventRows().first();
    expect(await newest.getAttribute('data-type')).toBe('user.sso_state_changed');
    expect(await newest.locator('td').nth(5).textContent()).toBe('support');
    expect(await newest.locator('td.detail').textContent()).toContain(`reason: IdP outage, ticket ${tag}`);
    expect(await newest.getByRole('link', { name: email }).getAttribute('href')).toBe(`/support/users/${user.sid}`);
    await shot('05-user-audit');
  });

  it('filters the log by connection and type, and pages to older events', async () => {
    await page.getByLabel('User SID').fill('');
    await page.getByLabel('Connection ID').fill(connectionId);
    await page.getByLabel('Event type').selectOption('login.refused');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/type=login\.refused/);
    await expect.poll(() => eventRows().count()).toBe(50);
    expect(new Set(await eventRows().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type'))))).toEqual(
      new Set(['login.refused']),
    );
    expect(await eventRows().first().locator('td.detail').textContent()).toBe(`attempt: ${refusals - 1}`);
    await shot('06-audit-filtered');
    await page.getByRole('link', { name: 'Older events' }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(() => eventRows().count()).toBe(refusals - 50);
    expect(await eventRows().last().locator('td.detail').textContent()).toBe('attempt: 0');
    expect(await page.getByRole('link', { name: 'Older events' }).count()).toBe(0);
    expect(await page.getByLabel('Event type').inputValue()).toBe('login.refused');
    await shot('07-audit-older');
  });

  it('downloads the same filters as CSV', async () => {
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toBe(`/support/audit.csv?connectionId=${connectionId}&type=login.refused`);
    const res = await page.request.get(`${app.baseUrl}${href}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers()['content-disposition']).toMatch(/^attachment; filename="audit-events-.+\.csv"$/);
    const lines = (await res.text()).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('time,type,reason_code,user_sid,connection_id,onboarding_id,actor,trace_id,reason,detail');
    expect(lines).toHaveLength(refusals + 1);
    expect(lines.slice(1).every((line) => line.includes(`,login.refused,signature_invalid,,${connectionId},`))).toBe(true);
  });

  it('logged no errors on any page', () => {
    expect(errors).toEqual([]);
  });
});
