// The customer administrator's whole self-service path in a browser (issue #14): the first mail's setup
// link, our SP details, the guide for their IdP, their IdP's metadata file uploaded, and a test sign-in
// through the real IdP (SimpleSAMLphp) answered with a diagnosis, first failing (the IdP does not sign the
// Response) and, once fixed, passing. No support step, no CLI. Screenshots in test-results/screenshots.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../domain/directory.js';
import { screenshot, useBrowser, watchedPage } from '../support/browser.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { type SimpleSamlIdp, startSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { extractLinks } from '../support/smtp.js';

const { database, env } = useOnboardingEnv();
const tag = randomBytes(4).toString('hex');
const domain = `self-${tag}.test`;
const adminEmail = `it-admin@${domain}`;
const grace = { username: 'grace', password: 'grace-at-idp', email: `grace@${domain}` };
// The IdP as many are by default: only the assertion signed. The administrator's fix is to sign the Response:
// here the same IdP (port, so entity ID and SSO URL, and signing key) restarted with that option.
let idp: SimpleSamlIdp;
let idpKey: SelfSignedCertificate;
const startIdp = (signResponse: boolean, port?: number) =>
  startSimpleSamlIdp({ sp: [], users: [grace], signResponse, signAssertion: !signResponse, certificate: idpKey, port });
let sp: { entityId: string; acsUrl: string };
const browser = useBrowser();
let page: Page;
let errors: string[];
let setupLink: string;

const shot = (name: string) => screenshot(page, 'self-service', name);

beforeAll(async () => {
  ({ page, errors } = await watchedPage(browser, env.baseUrl));
  await createUser(database.db, { email: grace.email });
  idpKey = await generateSelfSignedCertificate({ commonName: 'self-service IdP' });
  idp = await startIdp(false);
  return () => idp.stop();
});

/** Signs in at SimpleSAMLphp's login form; its auto-posting form then takes the browser to our ACS. */
async function signInAtIdp() {
  await page.locator('input[name=username]').fill(grace.username);
  await page.locator('input[name=password]').fill(grace.password);
  await Promise.all([page.waitForURL(/\/saml\/conn_[0-9a-f]+\/acs$/), page.locator('input[name=password]').press('Enter')]);
}

describe('a customer administrator setting up SSO alone', () => {
  it('opens the setup page from the first mail and sees our SP details', async () => {
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: `Self ${tag} Ltd`,
      adminEmail,
      emailDomains: [domain],
      options: { notifyUsers: false },
    });
    expect(started.status).toBe(201);
    const mail = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /your setup page/.test(m.subject), 30_000);
    setupLink = extractLinks(mail).find((l) => l.includes('/setup/')) as string;
    await page.goto(setupLink);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Set up single sign-on for Self ${tag} Ltd`);
    expect(await page.locator('[data-sp=acsUrl]').textContent()).toMatch(/\/saml\/conn_[0-9a-f]+\/acs$/);
    await shot('01-setup-page');
  });

  it('shows the steps in the console of the IdP they pick', async () => {
    await page.getByRole('navigation', { name: 'Choose your IdP' }).getByRole('link', { name: 'Microsoft Entra ID' }).click();
    await page.waitForURL(/idp=entra/);
    const guide = page.locator('ol[data-guide=entra]');
    expect(await guide.textContent()).toContain('Sign SAML response and assertion');
    expect(await guide.textContent()).toContain((await page.locator('[data-sp=acsUrl]').textContent()) as string);
    await shot('02-entra-guide');
  });

  it('gives their IdP’s metadata file, after a wrong file shown inline', async () => {
    // The application in the IdP, made from the SP details on the page.
    sp = {
      entityId: (await page.locator('[data-sp=entityId]').textContent()) as string,
      acsUrl: (await page.locator('[data-sp=acsUrl]').textContent()) as string,
    };
    await idp.addServiceProvider(sp);
    const form = page.locator('#idp-metadata');
    await form.getByLabel('Metadata file').setInputFiles({ name: 'notes.xml', mimeType: 'text/xml', buffer: Buffer.from('<notes/>') });
    await form.getByRole('button', { name: 'Submit the metadata' }).click();
    await expect.poll(() => page.locator('#idp-metadata-metadataFile-error').count()).toBe(1);
    await shot('03-metadata-refused');
    await page
      .locator('#idp-metadata')
      .getByLabel('Metadata file')
      .setInputFiles({ name: 'idp.xml', mimeType: 'text/xml', buffer: Buffer.from(idp.metadataXml) });
    await page.locator('#idp-metadata').getByRole('button', { name: 'Submit the metadata' }).click();
    await expect.poll(() => page.locator('[data-idp-received]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByRole('status').textContent()).toContain('we have your IdP’s details');
    await shot('04-idp-received');
  });

  it('runs a test sign-in that fails, saying what to change in the IdP', async () => {
    await page.getByRole('button', { name: 'Start a test sign-in' }).click();
    await signInAtIdp();
    await expect.poll(() => page.locator('[data-test-report]').getAttribute('data-passed')).toBe('false');
    expect(await page.locator('[data-check=response_signed]').getAttribute('data-passed')).toBe('false');
    expect(await page.locator('[data-fix=response_signed]').textContent()).toMatch(/sign/i);
    expect(await page.locator('[data-signed]').getAttribute('data-signed')).toBe('assertion');
    // Every other check ran: the email the IdP sent is found and is a user here.
    expect(await page.locator('[data-check=user_on_file]').getAttribute('data-passed')).toBe('true');
    const cookies = await page.context().cookies(env.baseUrl);
    expect(cookies.filter((c) => /session/i.test(c.name) && !/support/i.test(c.name))).toEqual([]);
    await shot('05-test-failed');
  });

  it('passes once the IdP signs the Response, and the setup page shows it', async () => {
    // The administrator's fix in their IdP: the same IdP, now signing the Response.
    const port = Number(new URL(idp.baseUrl).port);
    await idp.stop();
    idp = await startIdp(true, port);
    await idp.addServiceProvider(sp);
    await page.goto(setupLink);
    await page.getByRole('button', { name: 'Start a test sign-in' }).click();
    await signInAtIdp();
    await expect.poll(() => page.locator('[data-test-report]').getAttribute('data-passed'), { timeout: 15_000 }).toBe('true');
    await shot('06-test-passed');
    await page.goto(setupLink);
    expect(await page.locator('[data-test-report]').getAttribute('data-passed')).toBe('true');
    await shot('07-setup-page-after-test');
    expect(errors).toEqual([]);
  });
});
