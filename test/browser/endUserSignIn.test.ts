import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { setUserSsoState } from '../../domain/directory.js';
import { consoleErrors, screenshot, useBrowser } from '../support/browser.js';
import { type SimpleSamlIdp, startSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { createTestConnection, plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const browser = useBrowser();
const domain = uniqueDomain();
const consolePassword = 'console password 123';
const person = (name: string) => ({ username: name, password: `${name}-at-idp`, email: `${name}@${domain}` });
const alice = person('alice'); // enforced: SSO only
const bob = person('bob'); // enabled: SSO or password
const carol = person('carol'); // no SSO: password
const frank = person('frank'); // enforced while his password page is open
const erin = person('erin'); // known to the IdP, not enabled for SSO here
let idp: SimpleSamlIdp;
let connection: ReturnType<typeof plannedConnection>;
let customerPage: { server: Server; url: string; posts: { path: string; method: string }[] };

/** Stands in for the customer's intranet page that the logout Redirect URL names. */
async function startCustomerPage() {
  const posts: { path: string; method: string }[] = [];
  const server = createServer((req, res) => {
    posts.push({ path: req.url ?? '', method: req.method ?? '' });
    req.resume();
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>Intranet</title><h1>Acme intranet: you are signed out</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/signed-out`, posts };
}

beforeAll(async () => {
  connection = plannedConnection(app.baseUrl);
  customerPage = await startCustomerPage();
  idp = await startSimpleSamlIdp({
    sp: [{ entityId: connection.entityId, acsUrl: connection.acsUrl }],
    users: [alice, bob, carol, frank, erin],
  });
  await createTestConnection(database, {
    id: connection.id,
    customerName: 'Acme <Corp>',
    idpEntityId: idp.entityId,
    ssoUrl: idp.ssoUrl,
    ssoBinding: 'redirect',
    emailDomains: [domain],
    certificates: [idp.certificatePem],
    logoutRedirectUrl: customerPage.url,
  });
  await ssoUser(database, alice.email, 'enforced', connection.id, consolePassword);
  await ssoUser(database, bob.email, 'enabled', connection.id, consolePassword);
  await ssoUser(database, carol.email, 'none', connection.id, consolePassword);
  await ssoUser(database, frank.email, 'none', connection.id, consolePassword);
  await ssoUser(database, erin.email, 'none', connection.id, consolePassword);
});

afterAll(async () => {
  await idp?.stop();
  await new Promise((resolve) => customerPage?.server.close(resolve));
});

const shot = (page: Page, name: string) => screenshot(page, 'end-user', name);

async function newPage() {
  const page = await (await browser.context()).newPage();
  return { page, errors: consoleErrors(page, app.baseUrl) };
}

/** SimpleSAMLphp's own login form, filled in as a person would. */
async function signInAtIdp(page: Page, who: { username: string; password: string }) {
  await page.waitForURL((url) => url.toString().startsWith(idp.baseUrl));
  await page.locator('input[name=username]').fill(who.username);
  await page.locator('input[name=password]').fill(who.password);
  await page.locator('input[name=password]').press('Enter');
}

describe('an end user signing in with a browser', () => {
  it('goes from the email step to the IdP login form and back to the console (SP-initiated)', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${app.baseUrl}/login`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByLabel('Work email').fill(alice.email);
    await shot(page, '01-email-step');
    await page.getByRole('button', { name: 'Continue' }).click();
    await signInAtIdp(page, alice);
    await page.waitForURL(`${app.baseUrl}/console`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('You are signed in');
    const facts = await page.locator('dl.facts').textContent();
    expect(facts).toContain(alice.email);
    expect(facts).toContain('Single sign-on through Acme <Corp>');
    expect(await page.locator('[data-auth-method]').getAttribute('data-auth-method')).toBe('sso');
    await shot(page, '02-console-after-sso');
    expect(errors).toEqual([]);
  });

  it('signs in IdP-initiated and signs out by POST to the connection’s logout Redirect URL', async () => {
    const { page, errors } = await newPage();
    await page.goto(idp.idpInitiatedUrl(connection.entityId));
    await signInAtIdp(page, bob);
    await page.waitForURL(`${app.baseUrl}/console`);
    expect(await page.locator('dl.facts').textContent()).toContain(bob.email);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(customerPage.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Acme intranet: you are signed out');
    expect(customerPage.posts).toContainEqual({ path: '/signed-out', method: 'POST' });
    await shot(page, '03-after-logout-redirect');
    const me = await page.request.get(`${app.baseUrl}/api/me`);
    expect(me.status()).toBe(401);
    expect(errors).toEqual([]);
  });

  it('gives a user without SSO the password step with the email kept, and signs out to /login', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel('Work email').fill(carol.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Enter your password');
    expect(await page.getByLabel('Work email').inputValue()).toBe(carol.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The email or password is not correct.');
    await shot(page, '04-password-refused');
    await page.getByLabel('Password').fill(consolePassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.baseUrl}/console`);
    expect(await page.locator('[data-auth-method]').textContent()).toBe('Password');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.baseUrl}/login`);
    expect(errors).toEqual([]);
  });

  it('lets a user whose SSO is enabled, not enforced, sign in with the password instead', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel('Work email').fill(bob.email);
    await shot(page, '01b-password-instead');
    await page.getByRole('button', { name: 'Sign in with your password instead' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Enter your password');
    expect(await page.getByLabel('Work email').inputValue()).toBe(bob.email);
    await page.getByLabel('Password').fill(consolePassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.baseUrl}/console`);
    expect(await page.locator('[data-auth-method]').textContent()).toBe('Password');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.baseUrl}/login`);
    expect(errors).toEqual([]);
  });

  it('sends an enforced user who asks for the password step to SSO, with the explanation', async () => {
    const { page } = await newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel('Work email').fill(alice.email);
    await page.getByRole('button', { name: 'Sign in with your password instead' }).click();
    await page.getByLabel('Password').fill(consolePassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your company requires single sign-on');
  });

  it('gives an unknown address the same password step as a known one', async () => {
    const { page } = await newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.setViewportSize({ width: 375, height: 700 });
    await page.getByLabel('Work email').fill(`nobody@${domain}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Enter your password');
    await shot(page, '07-password-step-on-a-phone');
  });

  it('sends a user enforced since the password page opened to SSO, with an explanation', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel('Work email').fill(frank.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').waitFor();
    const [user] = await database.sql<{ sid: string }[]>`select sid from users where email = ${frank.email}`;
    await setUserSsoState(database.db, {
      sid: user?.sid as string,
      state: 'enforced',
      connectionId: connection.id,
      actor: 'test',
      reason: 'test setup',
    });
    await page.getByLabel('Password').fill(consolePassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your company requires single sign-on');
    expect(await page.getByRole('alert').textContent()).toContain('Passwords no longer work for this account');
    await shot(page, '05-sso-required');
    await page.getByRole('link', { name: 'Continue with single sign-on' }).click();
    await signInAtIdp(page, frank);
    await page.waitForURL(`${app.baseUrl}/console`);
    expect(await page.locator('dl.facts').textContent()).toContain(frank.email);
    expect(errors).toEqual([]);
  });

  it('shows a refused SSO sign-in as a page with the reason, advice, reason code and trace ID', async () => {
    const { page, errors } = await newPage();
    const acs = page.waitForResponse((res) => res.url() === connection.acsUrl);
    await page.goto(idp.idpInitiatedUrl(connection.entityId));
    await signInAtIdp(page, erin);
    const response = await acs;
    expect(response.status()).toBe(403);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('We could not sign you in');
    expect(await page.getByRole('alert').textContent()).toContain('Single sign-on is not enabled for this user yet.');
    expect(await page.getByRole('heading', { name: 'What to tell your administrator' }).count()).toBe(1);
    expect(await page.locator('[data-reason-code]').textContent()).toBe('sso_not_enabled');
    const traceId = (await page.locator('[data-trace-id]').textContent()) as string;
    expect(traceId).toBe(await response.headerValue('x-trace-id'));
    // Refusals are audited in batches (every 200 ms), so the event may land just after the page.
    await expect
      .poll(
        async () => {
          const [audit] = await database.db
            .select()
            .from(auditEvents)
            .where(and(eq(auditEvents.traceId, traceId), eq(auditEvents.type, 'login.refused')));
          return audit?.reasonCode;
        },
        { timeout: 5_000, interval: 20 },
      )
      .toBe('sso_not_enabled');
    await shot(page, '06-refusal-page');
    await page.getByRole('link', { name: 'Back to sign in' }).click();
    await page.waitForURL(`${app.baseUrl}/login`);
    expect(errors).toEqual([]);
  });

  it('keeps the SSO sign-in keyboard-only: tab to the field, type, Enter', async () => {
    const { page } = await newPage();
    await page.goto(`${app.baseUrl}/login`);
    // The skip link comes first, then the autofocused email field keeps focus for typing. Chromium may
    // apply autofocus a moment after the load event, so the focus is awaited (failing after 5 s), not sampled.
    await page.waitForFunction("document.activeElement && document.activeElement.id === 'email'", undefined, { timeout: 5000 });
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('email');
    await page.keyboard.type(bob.email);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.toString().startsWith(idp.baseUrl));
  });
});
