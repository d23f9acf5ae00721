import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, sessions } from '../../db/schema.js';
import { throttleLimits } from '../../domain/passwordLogin.js';
import { ssoUser, useApiEnv, useSsoConnection } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const { connectionId, domain } = useSsoConnection(database);
const password = 'correct horse battery staple';

const email = (name: string) => `${name}.${randomBytes(3).toString('hex')}@${domain}`;

async function login(body: Record<string, string>, opts: { json?: boolean; ip?: string } = {}) {
  return await fetch(`${app.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      accept: 'application/json',
      // A form comes from this site's sign-in page (one naming no origin is refused as cross-site).
      ...(opts.json ? {} : { origin: app.baseUrl }),
      'content-type': opts.json ? 'application/json' : 'application/x-www-form-urlencoded',
      ...(opts.ip ? { 'x-forwarded-for': opts.ip } : {}),
    },
    body: opts.json ? JSON.stringify(body) : new URLSearchParams(body),
  });
}

const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0] as string;

describe('password login', () => {
  it('signs a user in with a form post: 303 to /console with an HttpOnly session cookie, and /api/me answers', async () => {
    const address = email('pam');
    const user = await ssoUser(database, address, 'none', connectionId, password);
    const res = await login({ email: address.toUpperCase(), password });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console');
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(res.headers.get('set-cookie')).not.toMatch(/Secure/i);
    const me = await fetch(`${app.baseUrl}/api/me`, { headers: { cookie: cookieOf(res) } });
    expect(await me.json()).toEqual({ sid: user.sid, email: address, authMethod: 'password', connectionId: null });
  });

  it('accepts JSON as well as a form', async () => {
    const address = email('jay');
    await ssoUser(database, address, 'none', connectionId, password);
    expect((await login({ email: address, password }, { json: true })).status).toBe(303);
  });

  it('lets an enabled (not enforced) user still use the password', async () => {
    const address = email('ena');
    await ssoUser(database, address, 'enabled', connectionId, password);
    expect((await login({ email: address, password })).status).toBe(303);
  });

  it('refuses an enforced user with 403 sso_required and the SSO login URL, even with the right password', async () => {
    const address = email('enf');
    const user = await ssoUser(database, address, 'enforced', connectionId, password);
    const res = await login({ email: address, password });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const body = (await res.json()) as { error: { code: string; message: string; details: { ssoUrl: string } } };
    expect(body.error.code).toBe('sso_required');
    expect(body.error.message).toMatch(/requires you to sign in through its identity provider/);
    expect(body.error.details.ssoUrl).toBe(`${app.baseUrl}/saml/${connectionId}/login`);
    const audit = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.userSid, user.sid), eq(auditEvents.type, 'login.refused')));
    expect(audit.map((a) => a.reasonCode)).toEqual(['sso_required']);
  });

  it('refuses a wrong password and an unknown email alike with 401 invalid_credentials', async () => {
    const address = email('wro');
    await ssoUser(database, address, 'none', connectionId, password);
    const wrong = await login({ email: address, password: 'not the password' });
    const unknown = await login({ email: email('nobody'), password });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    }
  });

  it('answers a missing field with 400 naming it', async () => {
    const res = await login({ email: 'x@example.com' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(/password/) } });
  });

  it(`rate-limits an account after ${throttleLimits.email} failures, even with the right password afterwards`, async () => {
    const address = email('lim');
    await ssoUser(database, address, 'none', connectionId, password);
    for (let i = 0; i < throttleLimits.email; i++) {
      // Spread over addresses so only the per-account limit can trip.
      expect((await login({ email: address, password: 'guess' }, { ip: `198.51.100.${i + 1}` })).status).toBe(401);
    }
    const res = await login({ email: address, password }, { ip: '198.51.100.200' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it(`rate-limits a client address after ${throttleLimits.ip} failures across accounts`, { timeout: 180_000 }, async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const address = email('spr');
    await ssoUser(database, address, 'none', connectionId, password);
    for (let i = 0; i < throttleLimits.ip; i++) {
      expect((await login({ email: email(`spray${i}`), password: 'guess' }, { ip })).status).toBe(401);
    }
    expect((await login({ email: address, password }, { ip })).status).toBe(429);
    expect((await login({ email: address, password }, { ip: '203.0.113.251' })).status).toBe(303);
  });

  it(`evaluates at most ${throttleLimits.email} of 30 wrong passwords fired at one account at once; the rest are 429 rate_limited`, async () => {
    const address = email('burst');
    await ssoUser(database, address, 'none', connectionId, password);
    // Each from its own address, so only the per-account limit can trip.
    const answers = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const res = await login({ email: address, password: `guess ${i}` }, { ip: `198.18.0.${i + 1}` });
        const body = (await res.json()) as { error: { code: string } };
        return `${res.status} ${body.error.code}`;
      }),
    );
    const count = (answer: string) => answers.filter((a) => a === answer).length;
    expect({ evaluated: count('401 invalid_credentials'), limited: count('429 rate_limited') }).toEqual({
      evaluated: throttleLimits.email,
      limited: 30 - throttleLimits.email,
    });
  });

  it('does not count a right password against the account: after 9 failures and a sign-in, one more guess is still evaluated', async () => {
    const address = email('ok');
    await ssoUser(database, address, 'none', connectionId, password);
    for (let i = 0; i < throttleLimits.email - 1; i++) {
      expect((await login({ email: address, password: 'guess' }, { ip: `198.18.1.${i + 1}` })).status).toBe(401);
    }
    for (let i = 0; i < 3; i++) expect((await login({ email: address, password }, { ip: '198.18.1.100' })).status).toBe(303);
    expect((await login({ email: address, password: 'guess' }, { ip: '198.18.1.101' })).status).toBe(401);
    expect((await login({ email: address, password }, { ip: '198.18.1.102' })).status).toBe(429);
  });

  it('logs out: the session ends in PostgreSQL and the browser goes to /login', async () => {
    const address = email('out');
    const user = await ssoUser(database, address, 'none', connectionId, password);
    const cookie = cookieOf(await login({ email: address, password }));
    const out = await fetch(`${app.baseUrl}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect((await fetch(`${app.baseUrl}/api/me`, { headers: { cookie } })).status).toBe(401);
    const rows = await database.db.select().from(sessions).where(eq(sessions.userSid, user.sid));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.endedAt).toBeInstanceOf(Date);
  });

  it('answers /api/me without a session with 401', async () => {
    const res = await fetch(`${app.baseUrl}/api/me`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'not_signed_in' } });
  });
});
