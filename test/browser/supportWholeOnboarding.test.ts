// A whole onboarding through the support console alone: no CLI, no support API call. Support signs in,
// starts it, gives the IdP details, verifies the domain by DNS (dnsmasq on loopback), nominates the
// pilot, confirms it, builds, previews and sends the list and sees it to completion. The customer's
// administrator only clicks the mailed links (from the SMTP sink), and the pilot user signs in through
// the real IdP (SimpleSAMLphp). Then, on the completed onboarding, support rotates the connection's
// signing certificate from its page (a bad PEM first), the IdP signs with the new key (the independent
// signer, xmlsec1), the old certificate is retired, and the connection is disabled and enabled again.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spEndpoints } from '../../domain/connections.js';
import { screenshot, useBrowser, watchedPage } from '../support/browser.js';
import { supportToken, testDatabase } from '../support/deps.js';
import { startDnsServer } from '../support/dns.js';
import { startedForFile } from '../support/fixture.js';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';
import { useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { startOnboardingEnv } from '../support/onboarding-env.js';
import { createDomainUsers } from '../support/onboarding-http.js';
import { type SigningKey, signedResponse } from '../support/saml/craft.js';
import { extractLinks } from '../support/smtp.js';

const database = testDatabase();
afterAll(async () => {
  await database.close();
});
const dns = startedForFile('the DNS server', startDnsServer, (server) => server.close());
const env = startedForFile(
  'the onboarding environment',
  () => startOnboardingEnv(database, { DNS_RESOLVER: dns.address }),
  (started) => started.close(),
);
const tag = randomBytes(4).toString('hex');
const domain = `whole-${tag}.test`;
const customerName = `Whole ${tag} GmbH`;
const adminEmail = `it-admin@${domain}`;
const alice = { username: 'alice', password: 'alice-at-idp', email: `alice@${domain}` };
// More than one page of the console's list preview (50 a page).
const domainUsers = 60;
const idp = useSimpleSamlIdp({ sp: [], users: [alice] });
const browser = useBrowser();
let page: Page;
let errors: string[];
let id: string;

const shot = (name: string, target: Page = page) => screenshot(target, 'whole-onboarding', name);
const heading = (target: Page = page) => target.getByRole('heading', { level: 1 }).textContent();
const onboardingPage = () => `${env.baseUrl}/support/onboardings/${id}`;
const stageOnPage = () => page.locator('h1 + p [data-stage]').getAttribute('data-stage');

/** Support reloads the onboarding's page until it shows the stage. */
async function waitForStageOnPage(stage: string) {
  await expect
    .poll(
      async () => {
        await page.goto(onboardingPage());
        return stageOnPage();
      },
      { timeout: 30_000, interval: 250 },
    )
    .toBe(stage);
}

/** Submits a form of the page by its button, and waits for the page it ends on. */
async function submit(button: string | RegExp, within = page.locator('main')) {
  await Promise.all([page.waitForNavigation(), within.getByRole('button', { name: button }).click()]);
}

/** The administrator's newest mail matching `subject`, and its approval link, as they would click it. */
async function mailedLink(subject: RegExp, notIn: string[] = []) {
  const mail = await env.smtp.waitFor(
    (m) => m.to.includes(adminEmail) && subject.test(m.subject) && !notIn.some((link) => m.text.includes(link)),
    30_000,
  );
  const link = extractLinks(mail).find((l) => l.includes('/approvals/'));
  if (!link) throw new Error(`no approval link in "${mail.subject}"`);
  return link;
}

/** The customer's administrator, in their own browser, approving what the link asks. */
async function adminApproves(link: string, name: string, expectedHeading: string) {
  const { context, page: admin, errors: adminErrors } = await watchedPage(browser, env.baseUrl);
  await admin.goto(link);
  expect(await heading(admin)).toBe(expectedHeading);
  await shot(`${name}-admin`, admin);
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: 'Approve' }).click()]);
  expect(await heading(admin)).toBe('Approved');
  expect(adminErrors).toEqual([]);
  await context.close();
}

beforeAll(async () => {
  await database.sql`insert into users (sid, email) values ('US' || md5(${alice.email}), ${alice.email})`;
  await createDomainUsers(database, domain, domainUsers);
  ({ page, errors } = await watchedPage(browser, env.baseUrl));
});

describe('a whole onboarding through the support console', () => {
  it('signs in to the console and starts the onboarding', async () => {
    await page.goto(`${env.baseUrl}/support`);
    await page.getByLabel('Support token').fill(supportToken);
    await submit('Sign in');
    expect(await heading()).toBe('Onboardings');
    await page.getByRole('link', { name: 'Start an onboarding' }).first().click();
    await page.getByLabel('Customer name').fill(customerName);
    await page.getByLabel('Administrator’s email').fill(adminEmail);
    await page.getByLabel('Email domains').fill(domain);
    await page.getByLabel('Mail each user before SSO is switched on').selectOption('no');
    await shot('01-start');
    await submit('Start the onboarding');
    id = page.url().split('/').pop() as string;
    expect(await heading()).toBe(customerName);
    expect(await stageOnPage()).toBe('config_intake');
    await shot('02-started');
  });

  it('gives the IdP details from the onboarding’s page', async () => {
    await page.getByRole('link', { name: 'IdP details' }).click();
    expect(await heading()).toBe(`IdP details for ${customerName}`);
    await page.locator('#idp-metadata').getByLabel('Metadata XML').fill(idp.metadataXml);
    await submit('Submit the metadata');
    expect(page.url()).toBe(onboardingPage());
    expect(await page.getByRole('link', { name: 'IdP details' }).count()).toBe(0);
    expect(await page.locator('main').getByRole('link', { name: 'Connection', exact: true }).first().getAttribute('href')).toMatch(
      /^\/support\/connections\/conn_[0-9a-f]{24}$/,
    );
    // The customer's administrator sets up the application in their IdP with the SP details shown.
    const details = page.locator('[data-sp-details] code');
    await idp.addServiceProvider({
      entityId: (await details.nth(0).textContent()) as string,
      acsUrl: (await details.nth(1).textContent()) as string,
    });
    await shot('03-idp-details-given');
  });

  it('verifies the domain by its DNS TXT record', async () => {
    const record = page.getByRole('table', { name: 'Email domains' }).locator('tbody tr code');
    const name = (await record.nth(0).textContent()) as string;
    const value = (await record.nth(1).textContent()) as string;
    await dns.publish({ [name]: [value] });
    await submit('Check DNS now');
    expect(await page.getByRole('status').first().textContent()).toContain('Every email domain is verified.');
    expect(await page.getByRole('table', { name: 'Email domains' }).textContent()).toContain('by DNS');
    await shot('04-domain-verified');
  });

  it('nominates the pilot user, who signs in through the IdP', async () => {
    await waitForStageOnPage('pilot');
    await page.locator('#step-pilot').getByLabel('Email addresses').fill(alice.email);
    await submit('Nominate', page.locator('#step-pilot'));
    expect(await page.getByRole('table', { name: 'Pilot users' }).textContent()).toContain('Not yet');
    await shot('05-pilot-nominated');

    const { context, page: user } = await watchedPage(browser, env.baseUrl);
    const spEntityId = (await page.locator('[data-sp-details] code').nth(0).textContent()) as string;
    await user.goto(idp.idpInitiatedUrl(spEntityId));
    await user.locator('input[name=username]').fill(alice.username);
    await user.locator('input[name=password]').fill(alice.password);
    await Promise.all([user.waitForURL(`${env.baseUrl}/console`), user.locator('input[name=password]').press('Enter')]);
    expect(await user.locator('[data-auth-method]').getAttribute('data-auth-method')).toBe('sso');
    await shot('06-pilot-user-signed-in', user);
    await context.close();
    await expect
      .poll(async () => {
        await page.goto(onboardingPage());
        return page.getByRole('table', { name: 'Pilot users' }).textContent();
      })
      .toContain('Signed in');
  });

  it('has the pilot confirmed by the customer and by support', async () => {
    await adminApproves(await mailedLink(/confirm the SSO pilot/), '07-pilot', 'Confirm the SSO pilot');
    await page.goto(onboardingPage());
    await submit('Confirm the pilot for support');
    expect(await page.getByRole('status').first().textContent()).toContain('pilot confirmation is recorded');
    await waitForStageOnPage('migration_list');
    await shot('08-pilot-confirmed');
  });

  it('builds the migration list as a draft, pages through its preview, and sends it', async () => {
    const build = page.locator('#step-list');
    await build.getByLabel('Who is on it').selectOption('domain');
    await build.getByLabel('Domain (for a list by domain)').selectOption(domain);
    await submit('Build the draft', build);
    const preview = page.locator('[data-draft]');
    expect(await preview.locator('[data-count=total]').textContent()).toBe(String(domainUsers + 1));
    expect(await preview.locator('caption').textContent()).toContain('page 1 of 2');
    await shot('09-draft-page-1');
    await preview.getByRole('link', { name: 'Next page' }).click();
    await page.locator('[data-draft] caption', { hasText: 'page 2 of 2' }).waitFor();
    await shot('10-draft-page-2');
    expect(env.smtp.messages.filter((m) => /migration list/.test(m.subject))).toEqual([]);
    await submit(/^Send version 1 for review/);
    expect(await page.getByRole('status').first().textContent()).toContain('review link');
    await waitForStageOnPage('list_review');
    await shot('11-list-sent');
  });

  it('has the list approved by the customer, and resends the go-ahead link they ask for again', async () => {
    await adminApproves(await mailedLink(/review the SSO migration list/), '12-list', 'Review the migration list');
    await waitForStageOnPage('awaiting_go_ahead');
    const first = await mailedLink(/^Action needed: give the go-ahead/);
    // The stage can show before the go-ahead link is issued (under load): the page is read again once it is mailed.
    await page.goto(onboardingPage());
    const resend = page.locator('#step-resend');
    await resend.getByLabel('Which link').selectOption('go_ahead');
    await resend.getByLabel('Reason (kept in the audit trail)').fill('the administrator deleted the first mail');
    await submit(/Mail it again/, resend);
    const again = await mailedLink(/^Reminder 1: give the go-ahead/);
    expect(again).toBe(first);
    await shot('13-go-ahead-resent');
  });

  it('has the go-ahead given, and the onboarding completes with every listed user enforced', async () => {
    await adminApproves(await mailedLink(/^Reminder 1: give the go-ahead/), '14-go-ahead', 'Go ahead: enforce SSO');
    await waitForStageOnPage('completed');
    expect(await page.locator('#enforce-progress + output').textContent()).toBe(`${domainUsers + 1} of ${domainUsers + 1}`);
    expect(await page.locator('#h-progress').locator('..').textContent()).toContain(`Completed: ${domainUsers + 1} users enforced`);
    await shot('15-completed');
    const [enforced] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from users where email like ${`%@${domain}`} and sso_state = 'enforced'`;
    expect(enforced?.n).toBe(domainUsers + 1);
    expect(errors).toEqual([]);
  });

  it('rotates the completed onboarding’s certificate from its connection page, and disables and enables the connection', async () => {
    await page.goto(onboardingPage());
    await page.locator('main').getByRole('link', { name: 'Connection', exact: true }).first().click();
    expect(await heading()).toBe(`${customerName}: connection`);
    const connectionId = page.url().split('/').pop() as string;
    const { acsUrl, entityId } = spEndpoints(env.baseUrl, connectionId);
    const rows = page.locator('tr[data-fingerprint]');
    expect(await rows.count()).toBe(1);
    const oldFingerprint = (await rows.first().getAttribute('data-fingerprint')) as string;
    await shot('16-connection');

    /** An IdP-initiated login of Alice signed with `key`, as the ACS answers it. */
    const loginSignedBy = async (key: SigningKey) =>
      await fetch(acsUrl, {
        method: 'POST',
        body: new URLSearchParams({
          SAMLResponse: await signedResponse({ destination: acsUrl, audience: entityId, issuer: idp.entityId, email: alice.email, ...key }),
        }),
        redirect: 'manual',
      });
    const lastRefusal = async () =>
      (
        await database.sql<{ reason_code: string }[]>`
          select reason_code from audit_events where connection_id = ${connectionId} and type = 'login.refused'
          order by at desc, id desc limit 1`
      )[0]?.reason_code;
    const next = await generateSelfSignedCertificate({ commonName: 'Rotated IdP signing key' });
    const nextKey = { keyPem: next.privateKeyPem, certPem: next.certificatePem };
    // Before the rotation the new key is unknown.
    expect((await loginSignedBy(nextKey)).status).toBe(403);
    // Refusals are written in batches, a moment later.
    await expect.poll(lastRefusal).toBe('invalid_signature');

    const add = page.locator('#certificate');
    await add.getByLabel('New signing certificate').fill('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----');
    await add.getByLabel('Why you add it (kept in the audit trail)').fill('AD FS rollover');
    await submit('Add certificate', add);
    expect(await page.locator('#certificate').textContent()).toMatch(/X\.509|certificate/i);
    expect(await page.locator('#certificate').getByLabel('Why you add it (kept in the audit trail)').inputValue()).toBe('AD FS rollover');
    expect(await rows.count()).toBe(1);
    await shot('17-bad-certificate');
    await page.locator('#certificate').getByLabel('New signing certificate').fill(next.certificatePem);
    await submit('Add certificate', page.locator('#certificate'));
    expect(await rows.count()).toBe(2);
    await shot('18-certificate-added');
    // The IdP switched to its new key: Alice signs in with it at once.
    const signedIn = await loginSignedBy(nextKey);
    expect(signedIn.status, await signedIn.text()).toBe(303);
    expect(signedIn.headers.get('set-cookie')).toMatch(/^sso_session=/);

    const oldRow = page.locator(`tr[data-fingerprint="${oldFingerprint}"]`);
    await oldRow.getByText('Remove…').click();
    const remove = oldRow.locator('form');
    await remove.getByLabel('Why you remove it').fill('the IdP signs with the new key');
    await submit('Remove this certificate', remove);
    expect(await page.locator(`tr[data-fingerprint="${oldFingerprint}"]`).textContent()).toContain('retired');
    await shot('19-old-certificate-retired');

    const status = page.locator('#status');
    await status.getByLabel('Why you disable it (kept in the audit trail)').fill('the customer’s IdP is compromised');
    await submit('Disable connection', status);
    await shot('20-connection-disabled');
    expect((await loginSignedBy(nextKey)).status).toBe(403);
    await expect.poll(lastRefusal).toBe('connection_disabled');
    await page.locator('#status').getByLabel('Why you enable it (kept in the audit trail)').fill('the IdP is clean again');
    await submit('Enable connection', page.locator('#status'));
    await shot('21-connection-enabled');
    expect((await loginSignedBy(nextKey)).status).toBe(303);
    const audited = await database.sql<{ type: string; reason: string }[]>`
      select type, detail->>'reason' as reason from audit_events where connection_id = ${connectionId} and type like 'connection.%'
      order by at, id`;
    expect(audited.map((e) => [e.type, e.reason])).toEqual(
      expect.arrayContaining([
        ['connection.certificate_added', 'AD FS rollover'],
        ['connection.certificate_removed', 'the IdP signs with the new key'],
        ['connection.disabled', 'the customer’s IdP is compromised'],
        ['connection.enabled', 'the IdP is clean again'],
      ]),
    );
    expect(errors).toEqual([]);
  });
});
