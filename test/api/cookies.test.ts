import { describe, expect, it } from 'vitest';
import { ssoUser, useApiEnv, useSsoConnection } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const { connectionId, domain } = useSsoConnection(database);
const password = 'correct horse battery staple';

const malformed = 'sso_session=%E0%A4%A';
const get = (path: string, cookie: string, accept = 'application/json') =>
  fetch(`${app.baseUrl}${path}`, { headers: { cookie, accept }, redirect: 'manual' });

async function sessionCookie(): Promise<string> {
  const email = `pam.${Math.random().toString(36).slice(2, 8)}@${domain}`;
  await ssoUser(database, email, 'none', connectionId, password);
  const res = await fetch(`${app.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(303);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

describe('a session cookie with a malformed percent-escape', () => {
  it('is no session at GET /api/me: 401, not 500', async () => {
    const res = await get('/api/me', malformed);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_signed_in');
  });

  it('sends GET /console to the sign-in page', async () => {
    const res = await get('/console', malformed, 'text/html');
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/login' });
  });

  it('shows GET /login the sign-in page', async () => {
    const res = await get('/login', malformed, 'text/html');
    expect(res.status).toBe(200);
  });

  it('is nothing to end at POST /logout', async () => {
    const res = await fetch(`${app.baseUrl}/logout`, { method: 'POST', headers: { cookie: malformed }, redirect: 'manual' });
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/login' });
  });

  it('does not hide a good session cookie sent after it', async () => {
    const good = await sessionCookie();
    const res = await get('/api/me', `${malformed}; ${good}`);
    expect(res.status).toBe(200);
  });
});
