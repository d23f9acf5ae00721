import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot, useBrowser, watchedPage } from '../support/browser.js';
import { supportToken } from '../support/deps.js';
import { useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { approvalLinkFromMail, createDomainUsers, postApproval } from '../support/onboarding-http.js';

const temporalUi = 'http://temporal-ui.example.test:8233';
const { database, env } = useOnboardingEnv({ TEMPORAL_UI_URL: temporalUi });
const domain = `rollout-${randomBytes(4).toString('hex')}.test`;
const adminEmail = `admin@${domain}`;
// Enough users, in small batches, that the rollout takes many batches and the bars have somewhere to go.
const userCount = 3000;
const batchSize = 25;
const idp = useSimpleSamlIdp({ sp: [], users: [{ username: 'user1', password: 'user1-at-idp', email: `user000001@${domain}` }] });
const browser = useBrowser();
let context: BrowserContext;
let page: Page;
let errors: string[];
let id: string;

const shot = (name: string) => screenshot(page, 'support', name);
const heading = () => page.getByRole('heading', { level: 1 }).textContent();
const detailUrl = () => `${env.baseUrl}/support/onboardings/${id}`;

beforeAll(async () => {
  await createDomainUsers(database, domain, userCount);
  ({ context, page, errors } = await watchedPage(browser, env.baseUrl));
});

describe('support watching onboardings on the dashboard', () => {
  it('asks for the support token, refuses a wrong one, and keeps a signed session, never the token, in the cookie', async () => {
    await page.goto(`${env.baseUrl}/support`);
    expect(await heading()).toBe('Sign in to the support dashboard');
    await page.getByLabel('Support token').fill('not-the-support-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That is not the support token.');
    await page.getByLabel('Support token').fill(supportToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(heading).toBe('Onboardings');
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'sso_support');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/support' });
    expect(decodeURIComponent(cookie?.value ?? '')).not.toContain(supportToken);
    await shot('01-empty-dashboard');
  });

  it('refuses a dashboard form posted from another site, even with the session cookie', async () => {
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'sso_support');
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: 'Cross-site target',
      adminEmail,
      emailDomains: [`other-${domain}`],
    });
    const res = await fetch(`${env.baseUrl}/support/onboardings/${started.body.id}/pilot/confirm`, {
      method: 'POST',
      headers: { origin: 'https://attacker.example', cookie: `sso_support=${cookie?.value}`, accept: 'text/html' },
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('cross_site_request');
    await env.api('POST', `/api/onboardings/${started.body.id}/cancel`, { reason: 'test over' });
  });

  it('shows a hostile customer name as text, not markup', async () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: hostile,
      adminEmail,
      emailDomains: [`hostile-${domain}`],
    });
    await page.goto(`${env.baseUrl}/support`);
    const row = page.locator(`tr[data-onboarding="${started.body.id}"]`);
    expect(await row.getByRole('link').textContent()).toBe(hostile);
    expect(await page.locator('main img, main script').count()).toBe(0);
    await page.goto(`${env.baseUrl}/support/onboardings/${started.body.id}`);
    expect(await heading()).toBe(hostile);
    await env.api('POST', `/api/onboardings/${started.body.id}/cancel`, { reason: 'test over' });
    expect(errors).toEqual([]);
  });

  it('shows an onboarding’s SP details, pilot, pending links, timeline and Temporal link, and confirms the pilot', async () => {
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: 'Rollout Ltd',
      adminEmail,
      emailDomains: [domain],
      options: { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: false, batchSize },
    });
    id = started.body.id;
    const configured = await env.api<{ connection: { spEntityId: string; acsUrl: string; metadataUrl: string } }>(
      'POST',
      `/api/onboardings/${id}/idp-config`,
      idp.metadataXml,
    );
    await env.waitForStage(id, 'pilot');

    // The domain first: from the dashboard, a DNS check (no DNS server answers here), then support's override.
    await page.goto(`${env.baseUrl}/support`);
    await page.getByRole('link', { name: 'Rollout Ltd' }).click();
    await page.waitForURL(detailUrl());
    const domainRow = page.getByRole('row', { name: new RegExp(domain.replaceAll('.', '\\.')) });
    expect(await domainRow.textContent()).toContain('Not verified');
    expect(await domainRow.textContent()).toContain(`_sso-onboarding.${domain}`);
    await page.getByRole('button', { name: 'Check DNS now' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Not every TXT record was found yet');
    await page.getByText('Override without DNS (audited)').click();
    await page.getByLabel('Why you know the customer owns it').fill('checked with their IT lead on a call');
    await shot('02a-domain-override');
    await page.getByRole('button', { name: 'Mark verified' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('marked verified by support');
    expect(await domainRow.textContent()).toContain('Verified by support override');
    expect(await page.getByRole('button', { name: 'Check DNS now' }).count()).toBe(0);
    await shot('02b-domain-verified');
    const [audit] = await database.sql<{ detail: { reason: string } }[]>`
      select detail from audit_events where onboarding_id = ${id} and type = 'domain.verification_overridden'`;
    expect(audit?.detail.reason).toBe('checked with their IT lead on a call');

    expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] })).status).toBe(200);
    await approvalLinkFromMail(env.smtp, adminEmail, /pilot/i);
    await page.reload();
    const sp = await page.locator('[data-sp-details]').textContent();
    const { spEntityId, acsUrl, metadataUrl } = configured.body.connection;
    for (const value of [spEntityId, acsUrl, metadataUrl]) expect(sp).toContain(value);
    // A draft while the domain was unverified; active since the override.
    expect(sp).toContain('active');
    expect(await page.getByRole('link', { name: 'Open the workflow in Temporal' }).getAttribute('href')).toBe(
      `${temporalUi}/namespaces/default/workflows/onboarding-${id}`,
    );
    const pending = page.getByRole('row', { name: /Pilot confirmation/ });
    expect(await pending.getByRole('link', { name: 'Open' }).getAttribute('href')).toMatch(/\/approvals\/apr_/);
    expect(await page.locator('ol.timeline').textContent()).toContain('Stage: Pilot');
    expect(await page.locator('[data-customer-id]').textContent()).toBe('CustomerId = "rollout-ltd"');
    await shot('02-onboarding-at-pilot');

    await page.getByRole('button', { name: 'Confirm the pilot for support' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('pilot confirmation is recorded');
    const answer = await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /pilot/i));
    expect(answer.status, answer.body).toBe(200);
    await env.waitForStage(id, 'migration_list');
    expect(errors).toEqual([]);
  });

  it('watches the enable and enforce progress bars fill up to the whole list', async () => {
    expect((await env.api('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain })).status).toBe(202);
    expect((await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i))).status).toBe(200);

    // The page reloads itself every 5 seconds once asked to; the bars are read from what it shows.
    await page.goto(`${detailUrl()}?refresh=1`);
    const enable = page.locator('#enable-progress');
    expect(await enable.getAttribute('max')).toBe(String(userCount));
    expect(await page.getByText('This page refreshes every 5 seconds.').count()).toBe(1);
    await page.locator(`#enable-progress[value="${userCount}"]`).waitFor({ timeout: 60_000 });
    await shot('03-enabled');

    expect((await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /go.ahead|enforce/i))).status).toBe(200);
    await page.locator(`#enforce-progress[value="${userCount}"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator('#enforce-progress').getAttribute('max')).toBe(String(userCount));
    await page.locator('[data-stage=completed]').waitFor({ timeout: 30_000 });
    await shot('04-enforced');

    await page.goto(`${env.baseUrl}/support`);
    const row = page.locator(`tr[data-onboarding="${id}"]`);
    expect(await row.locator('[data-stage]').getAttribute('data-stage')).toBe('completed');
    for (const bar of [`#enable-${id}`, `#enforce-${id}`]) {
      expect(await row.locator(bar).getAttribute('value')).toBe(String(userCount));
      expect(await row.locator(bar).getAttribute('max')).toBe(String(userCount));
    }
    expect(await row.getByLabel('Enforced for Rollout Ltd').count()).toBe(1);
    // The key the onboarding is found by in Temporal, as support would type it there.
    expect(await row.locator('[data-customer-id]').textContent()).toBe('rollout-ltd');
    await shot('05-dashboard-completed');
    expect(errors).toEqual([]);
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(heading).toBe('Sign in to the support dashboard');
    expect((await context.cookies()).filter((c) => c.name === 'sso_support')).toEqual([]);
  });
});
