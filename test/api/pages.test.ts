import { randomBytes, randomInt } from 'node:crypto';
import { get } from 'node:http';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { stylesheet } from '../../api/pages/stylesheet.js';
import { supportSignInFailuresAllowed } from '../../api/routes/support.js';
import { auditEvents } from '../../db/schema.js';
import { supportToken } from '../support/deps.js';
import { ssoUser, useApiEnv, useSsoConnection } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const { connectionId, domain } = useSsoConnection(database);
const password = 'correct horse battery staple';
const html = { accept: 'text/html,application/xhtml+xml' };
const email = (name: string) => `${name}.${randomBytes(3).toString('hex')}@${domain}`;

// As a browser posts this site's forms: with its Origin (a form naming none is refused as cross-site).
const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    redirect: 'manual',
    headers: { ...html, origin: app.baseUrl, ...headers },
  });

describe('the stylesheet', () => {
  it('is one static file, cached for good under its content-hash URL and revalidated by ETag', async () => {
    const page = await (await fetch(`${app.baseUrl}/login`, { headers: html })).text();
    expect(page).toContain(`<link rel="stylesheet" href="${stylesheet.url}">`);
    expect(page).not.toContain('<style');
    const css = await fetch(`${app.baseUrl}${stylesheet.url}`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // node:http, not fetch: fetch adds Cache-Control: no-cache to a request carrying If-None-Match.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      get(`${app.baseUrl}/assets/app.css`, { headers: { 'if-none-match': css.headers.get('etag') as string } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    expect(status).toBe(304);
  });

  it('is the only source pages accept: no inline script or style, no framing', async () => {
    const res = await fetch(`${app.baseUrl}/login`, { headers: html });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe('email-first sign-in for browsers', () => {
  it('sends an SSO user to discovery by email', async () => {
    const address = email('sso');
    await ssoUser(database, address, 'enabled', connectionId, password);
    const res = await post('/login/continue', { email: address });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/sso?email=${encodeURIComponent(address)}`);
  });

  it('answers an unknown address exactly as it answers a known one without SSO', async () => {
    const known = email('known');
    await ssoUser(database, known, 'none', connectionId, password);
    const unknown = email('unknown');
    const pages = await Promise.all(
      [known, unknown].map(async (address) => {
        const res = await post('/login/continue', { email: address });
        return { status: res.status, body: (await res.text()).replace(address, 'ADDRESS') };
      }),
    );
    expect(pages[0]?.status).toBe(200);
    expect(pages[0]).toEqual(pages[1]);
    expect(pages[0]?.body).toContain('value="ADDRESS"');
    expect(pages[0]?.body).toContain('type="password"');
  });

  it('asks again for an address that is not one', async () => {
    const res = await post('/login/continue', { email: 'not an address' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Enter your full work email address');
  });

  it('shows a browser whose password is wrong the password step again, with the email kept', async () => {
    const address = email('wrong');
    await ssoUser(database, address, 'none', connectionId, password);
    const res = await post('/login', { email: address, password: 'nope' });
    expect(res.status).toBe(401);
    const body = await res.text();
    expect(body).toContain('The email or password is not correct.');
    expect(body).toContain(`value="${address}"`);
  });

  it('sends an enforced user who posts a password to SSO with an explanation', async () => {
    const address = email('enforced');
    await ssoUser(database, address, 'enforced', connectionId, password);
    const res = await post('/login', { email: address, password });
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('Your company requires you to sign in through its identity provider');
    expect(body).toContain(`href="${app.baseUrl}/saml/${connectionId}/login"`);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('escapes what the user typed', async () => {
    const res = await post('/login', { email: '"><script>alert(1)</script>@x.test', password: 'x' });
    const body = await res.text();
    expect(body).not.toContain('<script>alert(1)</script>');
    expect(body).toContain('&#34;&#62;&#60;script&#62;');
  });
});

describe('the support dashboard sign-in', () => {
  const origin = () => ({ origin: app.baseUrl });

  it('keeps a signed, expiring session in an HttpOnly SameSite=Strict cookie that does not hold the token', async () => {
    const res = await post('/support/session', { token: supportToken }, origin());
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie') as string;
    expect(cookie).toMatch(/^sso_support=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/support/);
    expect(cookie).not.toContain(supportToken);
    const dashboard = await fetch(`${app.baseUrl}/support`, { headers: { ...html, cookie: cookie.split(';')[0] as string } });
    expect(await dashboard.text()).toContain('<h1>Onboardings</h1>');
  });

  it('refuses a tampered session cookie', async () => {
    const res = await post('/support/session', { token: supportToken }, origin());
    const value = (res.headers.get('set-cookie') as string).split(';')[0]?.split('=')[1] as string;
    const tampered = value.replace(/^\d+/, String(Date.now() + 10 * 365 * 86_400_000));
    const page = await fetch(`${app.baseUrl}/support`, { headers: { ...html, cookie: `sso_support=${tampered}` } });
    expect(await page.text()).toContain('Sign in to the support dashboard');
  });

  it(`turns an address away after ${supportSignInFailuresAllowed} wrong tokens, even with the right one, and audits each refusal`, async () => {
    // The app trusts X-Forwarded-For from loopback, so each test run guesses from an address of its own.
    const address = (a: number) => `203.0.113.${a}`;
    const guesser = address(randomInt(1, 127));
    const from = (ip: string) => ({ ...origin(), 'x-forwarded-for': ip });
    for (let i = 0; i < supportSignInFailuresAllowed; i++) {
      expect((await post('/support/session', { token: `wrong-token-${i}-0123456789` }, from(guesser))).status).toBe(401);
    }
    const locked = await post('/support/session', { token: supportToken }, from(guesser));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(await locked.text()).toContain('Too many wrong tokens from this address.');
    expect(locked.headers.get('set-cookie')).toBeNull();
    // Another address still signs in.
    expect((await post('/support/session', { token: supportToken }, from(address(randomInt(128, 255))))).status).toBe(303);
    const refusals = await database.db
      .select({ reasonCode: auditEvents.reasonCode })
      .from(auditEvents)
      .where(and(eq(auditEvents.type, 'support.sign_in_refused'), sql`${auditEvents.detail}->>'ip' = ${guesser}`));
    const count = (code: string) => refusals.filter((r) => r.reasonCode === code).length;
    expect({ wrong: count('wrong_token'), limited: count('rate_limited') }).toEqual({
      wrong: supportSignInFailuresAllowed,
      limited: 1,
    });
  });

  it(`evaluates at most ${supportSignInFailuresAllowed} of 40 wrong tokens fired at once from one address; the rest are 429`, async () => {
    const from = { ...origin(), 'x-forwarded-for': `198.18.2.${randomInt(1, 255)}` };
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => (await post('/support/session', { token: `wrong-token-${i}-0123456789` }, from)).status),
    );
    const count = (status: number) => statuses.filter((s) => s === status).length;
    expect({ evaluated: count(401), limited: count(429) }).toEqual({
      evaluated: supportSignInFailuresAllowed,
      limited: 40 - supportSignInFailuresAllowed,
    });
  });

  it('ends the session on the server at sign-out: the old cookie replayed is refused, another session is not', async () => {
    const signIn = async () =>
      ((await post('/support/session', { token: supportToken }, origin())).headers.get('set-cookie') as string).split(';')[0] as string;
    const [cookie, other] = [await signIn(), await signIn()];
    const dashboard = async (c: string) => await (await fetch(`${app.baseUrl}/support`, { headers: { ...html, cookie: c } })).text();
    expect(await dashboard(cookie)).toContain('<h1>Onboardings</h1>');
    const out = await post('/support/sign-out', {}, { ...origin(), cookie });
    expect(out.status).toBe(303);
    expect(await dashboard(cookie)).toContain('Sign in to the support dashboard');
    expect(await dashboard(other)).toContain('<h1>Onboardings</h1>');
  });

  it('refuses a wrong token with 401 and a sign-in form posted from elsewhere with 403', async () => {
    expect((await post('/support/session', { token: 'wrong-token-0123456789' }, origin())).status).toBe(401);
    expect((await post('/support/session', { token: supportToken }, { origin: 'https://attacker.example' })).status).toBe(403);
    const originless = await fetch(`${app.baseUrl}/support/session`, {
      method: 'POST',
      body: new URLSearchParams({ token: supportToken }),
      redirect: 'manual',
      headers: html,
    });
    expect(originless.status).toBe(403);
  });
});
