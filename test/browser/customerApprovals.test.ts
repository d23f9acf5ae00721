import { randomBytes } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../db/schema.js';
import { screenshot, useBrowser, watchedPage } from '../support/browser.js';
import { loginAtIdp } from '../support/idp/browserless.js';
import { useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { createDomainUsers, overrideDomains } from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';
import { extractLinks } from '../support/smtp.js';

const { database, env } = useOnboardingEnv();
const domain = `approve-${randomBytes(4).toString('hex')}.test`;
const adminEmail = `it-admin@${domain}`;
const alice = { username: 'alice', password: 'alice-at-idp', email: `alice@${domain}` };
const sales = `sales@${domain}`;
// More than one page of the review table (100 a page), so exclusions must travel between pages.
const bulkUsers = 150;
const idp = useSimpleSamlIdp({ sp: [], users: [alice] });
const browser = useBrowser();
let page: Page;
let errors: string[];
let id: string;

const shot = (name: string, fullPage = true) => screenshot(page, 'customer-admin', name, { fullPage });

/** The admin's mail for a step, and the approval link in it, as the admin would click it. */
async function mailedLink(subject: RegExp, notIn: string[] = []) {
  const mail = await env.smtp.waitFor(
    (m) => m.to.includes(adminEmail) && subject.test(m.subject) && !notIn.some((link) => m.text.includes(link)),
    30_000,
  );
  const link = extractLinks(mail).find((l) => l.includes('/approvals/'));
  if (!link) throw new Error(`no approval link in "${mail.subject}"`);
  return link;
}

const heading = () => page.getByRole('heading', { level: 1 }).textContent();

beforeAll(async () => {
  for (const email of [alice.email, `bob@${domain}`, sales]) expect((await env.api('POST', '/api/users', { email })).status).toBe(201);
  await createDomainUsers(database, domain, bulkUsers);
  const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
    customerName: 'Acme <script>alert("x")</script> & Co',
    adminEmail,
    emailDomains: [domain],
    options: { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: false, batchSize: 50 },
  });
  id = started.body.id;
  await overrideDomains(env.api, id);
  const configured = await env.api<{ connection: { spEntityId: string; acsUrl: string } }>(
    'POST',
    `/api/onboardings/${id}/idp-config`,
    idp.metadataXml,
  );
  expect(configured.status).toBe(200);
  await idp.addServiceProvider({ entityId: configured.body.connection.spEntityId, acsUrl: configured.body.connection.acsUrl });
  await env.waitForStage(id, 'pilot');
  expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [alice.email] })).status).toBe(200);
  // The pilot user signs in once through the IdP, so the admin sees it on the pilot page.
  const login = await loginAtIdp(idp.idpInitiatedUrl(configured.body.connection.spEntityId), alice.username, alice.password);
  const acs = await fetch(login.acsUrl, {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: login.samlResponse }),
    redirect: 'manual',
  });
  expect(acs.status).toBe(303);
  await pollUntil(
    'the pilot login recorded',
    async () => {
      const detail = await env.api<{ pilot: { users: { firstLoginAt: string | null }[] } }>('GET', `/api/onboardings/${id}`);
      return detail.body.pilot.users[0]?.firstLoginAt ?? undefined;
    },
    { timeoutMs: 10_000 },
  );
  ({ page, errors } = await watchedPage(browser, env.baseUrl));
});

describe('a customer administrator approving each step from the mailed links', () => {
  it('sees the pilot users and who has signed in, and confirms the pilot', async () => {
    await page.goto(await mailedLink(/pilot/i));
    expect(await heading()).toBe('Confirm the SSO pilot');
    expect(await page.locator('.lead').textContent()).toContain('Acme <script>alert("x")</script> & Co');
    expect(await page.getByRole('row', { name: new RegExp(alice.email) }).textContent()).toContain('Signed in');
    await shot('01-pilot');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForLoadState();
    expect(await heading()).toBe('Approved');
    expect(await page.getByRole('status').textContent()).toContain('Confirm the SSO pilot');
    await shot('02-pilot-approved');
    expect((await env.api('POST', `/api/onboardings/${id}/pilot/confirm`)).status).toBe(200);
    await env.waitForStage(id, 'migration_list');
  });

  it('reviews the paged migration list with its flags, excludes one user on each page, and approves', async () => {
    expect((await env.api('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain })).status).toBe(202);
    await page.goto(await mailedLink(/migration list/i));
    expect(await heading()).toBe('Review the migration list');
    expect(await page.locator('[data-count=total]').textContent()).toBe(String(bulkUsers + 3));
    expect(await page.locator('[data-count=flagged]').textContent()).toBe('1');
    const salesRow = page.getByRole('row', { name: new RegExp(sales) });
    expect(await salesRow.textContent()).toContain('possible alias or shared mailbox');
    await page.getByLabel(`Exclude ${sales}`).check();
    // The pilot user too: SSO stays enabled for her, so the go-ahead names her as keeping her password.
    await page.getByLabel(`Exclude ${alice.email}`).check();
    await shot('03-list-page-1', false);
    // Paging posts the form (the ticks travel in it, never in the URL) and shows the next page.
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('caption', { hasText: 'page 2 of 2' }).waitFor();
    expect(page.url()).not.toContain('exclude');
    const last = `user${String(bulkUsers).padStart(6, '0')}@${domain}`;
    await page.getByLabel(`Exclude ${last}`).check();
    await page.getByRole('button', { name: 'Approve' }).scrollIntoViewIfNeeded();
    expect(await page.getByText('2 users ticked on other pages will be excluded too.').count()).toBe(1);
    await shot('04-list-page-2', false);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForLoadState();
    expect(await heading()).toBe('Approved');
    expect(await page.getByRole('status').textContent()).toContain('with 3 exclusions');
    await shot('05-list-approved');
    const excluded = await database.db
      .select()
      .from(users)
      .where(inArray(users.email, [sales, last]));
    await env.waitForStage(id, 'awaiting_go_ahead');
    expect(excluded.map((u) => u.ssoState)).toEqual(['none', 'none']);
  });

  it('is told how many users will be enforced and who keeps a password, and gives the go-ahead', async () => {
    await page.goto(await mailedLink(/go.ahead|enforce/i));
    expect(await heading()).toBe('Go ahead: enforce SSO');
    // The approved list (bulk users, bob, alice, sales) minus the three excluded.
    expect(await page.locator('[data-count=to-enforce]').textContent()).toBe(String(bulkUsers));
    expect(await page.getByRole('heading', { name: 'Who keeps their password' }).count()).toBe(1);
    expect(await page.locator('[data-count=keeping-passwords]').textContent()).toMatch(/^1 user can use single sign-on/);
    expect(await page.locator('ul.names li').allTextContents()).toEqual([alice.email]);
    await shot('06-go-ahead');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForLoadState();
    expect(await heading()).toBe('Approved');
    const done = await env.waitForStage(id, 'completed');
    expect(done.progress).toEqual({ enabled: bulkUsers, enforced: bulkUsers, total: bulkUsers });
  });

  it('finds a used link explained rather than usable again', async () => {
    const link = await mailedLink(/go.ahead|enforce/i);
    const response = await page.goto(link);
    expect(response?.status()).toBe(410);
    expect(await heading()).toBe('This link cannot be used');
    expect(await page.getByRole('alert').textContent()).toMatch(/already used \(approve on/);
    await shot('07-used-link');
    expect(errors).toEqual([]);
  });
});
