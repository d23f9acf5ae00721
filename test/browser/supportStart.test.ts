import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot, useBrowser, watchedPage } from '../support/browser.js';
import { supportToken } from '../support/deps.js';
import { useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';

const { database, env } = useOnboardingEnv();
const tag = randomBytes(4).toString('hex');
const domain = `start-${tag}.test`;
const secondDomain = `start-two-${tag}.test`;
const customerName = `Start ${tag} Ltd`;
const idp = useSimpleSamlIdp({ sp: [], users: [{ username: 'user1', password: 'user1-at-idp', email: `user1@${domain}` }] });
const browser = useBrowser();
let page: Page;
let errors: string[];
let id: string;

const shot = (name: string) => screenshot(page, 'support-start', name);
const heading = () => page.getByRole('heading', { level: 1 }).textContent();
const fieldError = (formId: string, name: string) => page.locator(`#${formId}-${name}-error`).textContent();
const stageOf = async (onboardingId: string) =>
  (await database.sql<{ stage: string }[]>`select stage::text as stage from onboardings where id = ${onboardingId}`)[0]?.stage;

beforeAll(async () => {
  ({ page, errors } = await watchedPage(browser, env.baseUrl));
});

describe('support starting an onboarding and giving its IdP details in the console', () => {
  it('reaches the start form from the dashboard, after signing in', async () => {
    await page.goto(`${env.baseUrl}/support`);
    await page.getByLabel('Support token').fill(supportToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(heading).toBe('Onboardings');
    await page.getByRole('link', { name: 'Start an onboarding' }).first().click();
    await page.waitForURL(`${env.baseUrl}/support/onboardings/new`);
    expect(await heading()).toBe('Start an onboarding');
  });

  it('shows every problem of the start form inline, keeping what was typed', async () => {
    await page.getByLabel('Customer name').fill(customerName);
    await page.getByLabel('Administrator’s email').fill('not-an-email');
    await page.getByLabel('Email domains').fill('');
    await page.getByLabel('Users per batch').fill('0');
    await page.getByRole('button', { name: 'Start the onboarding' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('There are 3 problems');
    expect(await fieldError('start', 'adminEmail')).toContain('must be an email address');
    expect(await fieldError('start', 'emailDomains')).toContain('must name at least one domain');
    expect(await fieldError('start', 'batchSize')).toContain('Users per batch');
    expect(await page.getByLabel('Customer name').inputValue()).toBe(customerName);
    expect(await page.getByLabel('Administrator’s email').inputValue()).toBe('not-an-email');
    expect(await page.getByLabel('Administrator’s email').getAttribute('aria-invalid')).toBe('true');
    await shot('01-start-problems');
  });

  it('starts the onboarding once the form is right, and opens its page', async () => {
    await page.getByLabel('Administrator’s email').fill(`admin@${domain}`);
    await page.getByLabel('Email domains').fill(`${domain}\n${secondDomain.toUpperCase()}`);
    await page.getByLabel('Users per batch').fill('50');
    await page.getByLabel('Mail each user before SSO is switched on').selectOption('no');
    await page.getByRole('button', { name: 'Start the onboarding' }).click();
    await page.waitForURL(/\/support\/onboardings\/ob_[0-9a-f]{24}$/);
    id = page.url().split('/').pop() as string;
    expect(await heading()).toBe(customerName);
    const [row] = await database.sql<{ email_domains: string[]; options: { batchSize: number; notifyUsers: boolean } }[]>`
      select email_domains, options from onboardings where id = ${id}`;
    expect(row?.email_domains).toEqual([domain, secondDomain]);
    expect(row?.options).toMatchObject({ batchSize: 50, notifyUsers: false });
    const [audit] = await database.sql`select actor from audit_events where onboarding_id = ${id} and type = 'onboarding.started'`;
    expect(audit?.actor).toBe('support');
    await shot('02-started');
  });

  it('shows a domain another onboarding serves as a problem of the form', async () => {
    await page.goto(`${env.baseUrl}/support/onboardings/new`);
    await page.getByLabel('Customer name').fill('Second claimant');
    await page.getByLabel('Administrator’s email').fill(`admin@${domain}`);
    await page.getByLabel('Email domains').fill(domain);
    await page.getByRole('button', { name: 'Start the onboarding' }).click();
    await expect.poll(() => fieldError('start', 'emailDomains')).toContain('already served by another onboarding');
    expect(await page.getByLabel('Customer name').inputValue()).toBe('Second claimant');
  });

  it('shows every problem of IdP fields inline, keeping what was typed', async () => {
    await page.goto(`${env.baseUrl}/support/onboardings/${id}/idp-config`);
    expect(await heading()).toBe(`IdP details for ${customerName}`);
    const fields = page.locator('#idp-fields');
    await fields.getByLabel('IdP entity ID (issuer)').fill(idp.entityId);
    await fields.getByLabel('SSO URL').fill('ftp://idp.example.com/sso');
    await fields.getByLabel('Signing certificate (PEM)').fill('-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----');
    await fields.getByRole('button', { name: 'Submit the fields' }).click();
    await expect.poll(() => fieldError('idp-fields', 'ssoUrl')).toMatch(/SSO URL/);
    expect(await fieldError('idp-fields', 'certificate')).toBeTruthy();
    expect(await page.locator('#idp-fields-problems').textContent()).toMatch(/There are \d+ problems/);
    expect(await fields.getByLabel('SSO URL').inputValue()).toBe('ftp://idp.example.com/sso');
    expect(await fields.getByLabel('IdP entity ID (issuer)').inputValue()).toBe(idp.entityId);
    expect(await stageOf(id)).toBe('config_intake');
    await shot('03-idp-fields-problems');
  });

  it('takes pasted IdP metadata, and the onboarding moves on', async () => {
    const metadata = page.locator('#idp-metadata');
    await metadata.getByLabel('Metadata XML').fill(idp.metadataXml);
    await shot('04-idp-metadata-pasted');
    await metadata.getByRole('button', { name: 'Submit the metadata' }).click();
    await page.waitForURL(`${env.baseUrl}/support/onboardings/${id}`);
    await expect.poll(() => stageOf(id)).not.toBe('config_intake');
    const [saved] = await database.sql`select type from audit_events where onboarding_id = ${id} and type = 'connection.saved'`;
    expect(saved).toBeDefined();
    expect(await page.locator('[data-sp-details]').count()).toBe(1);
  });

  it('takes an uploaded IdP metadata file for another onboarding', async () => {
    const other = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: `Upload ${tag} Co`,
      adminEmail: `admin@upload-${tag}.test`,
      emailDomains: [`upload-${tag}.test`],
    });
    await page.goto(`${env.baseUrl}/support/onboardings/${other.body.id}/idp-config`);
    const metadata = page.locator('#idp-metadata');
    await metadata
      .getByLabel('Metadata file')
      .setInputFiles({ name: 'idp-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from('<md:EntityDescriptor') });
    await metadata.getByRole('button', { name: 'Submit the metadata' }).click();
    await expect.poll(() => fieldError('idp-metadata', 'metadataFile')).toContain('not well-formed XML');
    expect(await stageOf(other.body.id)).toBe('config_intake');
    await shot('04b-idp-upload-problem');
    await page
      .locator('#idp-metadata')
      .getByLabel('Metadata file')
      .setInputFiles({ name: 'idp-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(idp.metadataXml) });
    await page.locator('#idp-metadata').getByRole('button', { name: 'Submit the metadata' }).click();
    await page.waitForURL(`${env.baseUrl}/support/onboardings/${other.body.id}`);
    await expect.poll(() => stageOf(other.body.id)).not.toBe('config_intake');
  });

  it('takes the IdP details field by field for another onboarding', async () => {
    const other = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: `Fields ${tag} Co`,
      adminEmail: `admin@fields-${tag}.test`,
      emailDomains: [`fields-${tag}.test`],
    });
    await page.goto(`${env.baseUrl}/support/onboardings/${other.body.id}/idp-config`);
    const fields = page.locator('#idp-fields');
    await fields.getByLabel('IdP entity ID (issuer)').fill(idp.entityId);
    await fields.getByLabel('SSO URL').fill(idp.ssoUrl);
    await fields.getByLabel('SSO binding').selectOption('post');
    await fields.getByLabel('Signing certificate (PEM)').fill(idp.certificatePem);
    await fields.getByRole('button', { name: 'Submit the fields' }).click();
    await page.waitForURL(`${env.baseUrl}/support/onboardings/${other.body.id}`);
    await expect.poll(() => stageOf(other.body.id)).not.toBe('config_intake');
    const [connection] = await database.sql<{ sso_binding: string }[]>`
      select sso_binding::text as sso_binding from sso_connections where onboarding_id = ${other.body.id}`;
    expect(connection?.sso_binding).toBe('post');
  });

  it('filters the dashboard by customer and by stage', async () => {
    const waiting = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: `Waiting ${tag} Inc`,
      adminEmail: `admin@waiting-${tag}.test`,
      emailDomains: [`waiting-${tag}.test`],
    });
    const rows = () => page.locator('tbody tr[data-onboarding]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-onboarding')));
    await page.goto(`${env.baseUrl}/support`);
    await page.getByLabel('Customer', { exact: true }).fill(`Start ${tag}`);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(rows).toEqual([id]);
    expect(page.url()).toContain(`customer=Start+${tag}`);
    await shot('05-dashboard-by-customer');

    await page.getByLabel('Customer', { exact: true }).fill(tag);
    await page.getByLabel('Stage', { exact: true }).selectOption('config_intake');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(rows).toEqual([waiting.body.id]);
    expect(await page.getByLabel('Stage', { exact: true }).inputValue()).toBe('config_intake');
    await shot('06-dashboard-by-stage');

    await page.getByLabel('Email domain', { exact: true }).fill(`start-two-${tag}`);
    await page.getByLabel('Stage', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(rows).toEqual([id]);
  });

  it('shows a page the console does not have in the console’s own chrome', async () => {
    const res = await page.goto(`${env.baseUrl}/support/no-such-page`);
    expect(res?.status()).toBe(404);
    expect(await heading()).toBe('Not found in the support console');
    expect(await page.locator('header .brand').textContent()).toBe('SSO onboarding support');
    expect(await page.getByRole('navigation', { name: 'Support console' }).getByRole('link', { name: 'Connections' }).count()).toBe(1);
    await shot('07-support-404');
    await page.getByRole('link', { name: 'Back to the onboardings' }).click();
    await expect.poll(heading).toBe('Onboardings');
    expect(errors).toEqual([]);
  });
});
