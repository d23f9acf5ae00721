// Login CSRF and forced logout: a foreign page must not be able to post the sign-in form (signing the
// victim in as the attacker) or the sign-out form. Browsers name the Origin of every POST they send.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ssoUser, useApiEnv, useSsoConnection } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const { connectionId, domain } = useSsoConnection(database);
const password = 'correct horse battery staple';
const attacker = 'https://attacker.example';

async function passwordUser(): Promise<string> {
  const email = `pam.${randomBytes(3).toString('hex')}@${domain}`;
  await ssoUser(database, email, 'none', connectionId, password);
  return email;
}

type Body = { form: Record<string, string> } | { json: Record<string, string> } | { text: string } | Record<string, never>;

async function post(path: string, body: Body, headers: Record<string, string> = {}) {
  const content =
    'form' in body
      ? { body: new URLSearchParams(body.form) }
      : 'json' in body
        ? { body: JSON.stringify(body.json), headers: { 'content-type': 'application/json' } }
        : 'text' in body
          ? { body: body.text, headers: { 'content-type': 'text/plain' } }
          : {};
  return await fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    body: content.body,
    headers: { accept: 'application/json', ...content.headers, ...headers },
  });
}

const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
const me = async (cookie: string) => (await fetch(`${app.baseUrl}/api/me`, { headers: { cookie } })).status;

async function expectCrossSiteRefusal(res: Response) {
  expect(res.status).toBe(403);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
  expect(res.headers.get('set-cookie')).toBeNull();
}

async function signedIn(): Promise<string> {
  const res = await post('/login', { json: { email: await passwordUser(), password } });
  expect(res.status).toBe(303);
  return cookieOf(res);
}

describe('POST /login from another site', () => {
  it('refuses a form posted with a foreign Origin', async () => {
    await expectCrossSiteRefusal(await post('/login', { form: { email: await passwordUser(), password } }, { origin: attacker }));
  });

  it('refuses a form posted with a foreign Referer and no Origin', async () => {
    const res = await post('/login', { form: { email: await passwordUser(), password } }, { referer: `${attacker}/page` });
    await expectCrossSiteRefusal(res);
  });

  it('refuses a form posted with Origin null (a sandboxed frame)', async () => {
    await expectCrossSiteRefusal(await post('/login', { form: { email: await passwordUser(), password } }, { origin: 'null' }));
  });

  it('refuses a form whose Referer is not a URL', async () => {
    await expectCrossSiteRefusal(await post('/login', { form: { email: await passwordUser(), password } }, { referer: 'not a url' }));
  });

  it('refuses JSON with a foreign Origin', async () => {
    await expectCrossSiteRefusal(await post('/login', { json: { email: await passwordUser(), password } }, { origin: attacker }));
  });

  it('shows a browser the refusal as a page', async () => {
    const res = await post('/login', { form: { email: await passwordUser(), password } }, { origin: attacker, accept: 'text/html' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('cross_site_request');
  });
});

describe('POST /login from this site', () => {
  it('signs in with a form posted with this site’s Origin', async () => {
    const res = await post('/login', { form: { email: await passwordUser(), password } }, { origin: app.baseUrl });
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/console' });
    expect(await me(cookieOf(res))).toBe(200);
  });

  it('signs in with a form posted with this site’s Referer and no Origin', async () => {
    const res = await post('/login', { form: { email: await passwordUser(), password } }, { referer: `${app.baseUrl}/login` });
    expect(res.status).toBe(303);
  });

  it('signs in a script that posts the form naming no origin at all, as the contract allows (no browser does that)', async () => {
    const res = await post('/login', { form: { email: await passwordUser(), password } });
    expect(res.status).toBe(303);
    expect(await me(cookieOf(res))).toBe(200);
  });

  it('signs in an API client that posts JSON without an Origin', async () => {
    const res = await post('/login', { json: { email: await passwordUser(), password } });
    expect(res.status).toBe(303);
    expect(await me(cookieOf(res))).toBe(200);
  });
});

describe('POST /logout', () => {
  it('refuses a foreign Origin and keeps the session', async () => {
    const cookie = await signedIn();
    await expectCrossSiteRefusal(await post('/logout', { form: {} }, { cookie, origin: attacker }));
    expect(await me(cookie)).toBe(200);
  });

  it('refuses a foreign Referer with no Origin and keeps the session', async () => {
    const cookie = await signedIn();
    await expectCrossSiteRefusal(await post('/logout', {}, { cookie, referer: `${attacker}/page` }));
    expect(await me(cookie)).toBe(200);
  });

  it('refuses Origin null (a sandboxed frame) and keeps the session', async () => {
    const cookie = await signedIn();
    await expectCrossSiteRefusal(await post('/logout', { form: {} }, { cookie, origin: 'null' }));
    expect(await me(cookie)).toBe(200);
  });

  it('signs out a form posted with this site’s Origin', async () => {
    const cookie = await signedIn();
    const res = await post('/logout', { form: {} }, { cookie, origin: app.baseUrl, accept: 'text/html' });
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/login' });
    expect(await me(cookie)).toBe(401);
  });

  it('signs out a client that posts no body and names no origin', async () => {
    const cookie = await signedIn();
    const res = await post('/logout', {}, { cookie });
    expect(res.status).toBe(303);
    expect(await me(cookie)).toBe(401);
  });
});
