import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, ssoConnections } from '../../db/schema.js';
import { supportToken } from '../support/deps.js';
import { useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

const uniqueEmail = (name: string) => `${name}.${randomBytes(4).toString('hex')}@acme.test`;

describe('accounts and users', () => {
  it('creates an account with an AC SID', async () => {
    const res = await api('POST', '/api/accounts', { name: 'Acme' });
    expect(res.status).toBe(201);
    expect(res.body.sid).toMatch(/^AC[0-9a-f]{32}$/);
  });

  it('creates a user with a US SID in the given accounts and reads it back with SSO state none', async () => {
    const account = await api('POST', '/api/accounts', { name: 'Acme' });
    const email = uniqueEmail('ann');
    const created = await api('POST', '/api/users', { email, password: 'correct horse battery', accountSids: [account.body.sid] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ sid: expect.stringMatching(/^US[0-9a-f]{32}$/), email });
    const read = await api('GET', `/api/users/${created.body.sid}`);
    expect(read.body).toEqual({ sid: created.body.sid, email, ssoState: 'none', connectionId: null });
  });

  it('refuses a second user with the same email in another case with 409', async () => {
    const email = uniqueEmail('bob');
    expect((await api('POST', '/api/users', { email })).status).toBe(201);
    const again = await api('POST', '/api/users', { email: email.toUpperCase() });
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('email_taken');
  });

  it('refuses unknown account SIDs and creates nothing', async () => {
    const email = uniqueEmail('cid');
    const res = await api('POST', '/api/users', { email, accountSids: [`AC${'0'.repeat(32)}`] });
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('unknown_account');
    expect((await api('POST', '/api/users', { email })).status).toBe(201);
  });

  it('names each invalid field at once', async () => {
    const res = await api('POST', '/api/users', { email: 'not-an-email', password: 'short', accountSids: ['AC1'] });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_request');
    expect(res.body.error?.message).toMatch(/email/);
    expect(res.body.error?.message).toMatch(/password/);
    expect(res.body.error?.message).toMatch(/accountSids/);
  });

  it('answers 404 for an unknown user and 400 for a malformed SID', async () => {
    expect((await api('GET', `/api/users/US${'f'.repeat(32)}`)).status).toBe(404);
    expect((await api('GET', '/api/users/nope')).status).toBe(400);
  });

  it('changes a user SSO state with an audit event, and needs a connection to enable', async () => {
    const { body: user } = await api('POST', '/api/users', { email: uniqueEmail('eve') });
    const noConnection = await api('PUT', `/api/users/${user.sid}/sso`, { state: 'enabled', reason: 'pilot' });
    expect(noConnection.status).toBe(422);
    expect(noConnection.body.error?.code).toBe('connection_required');

    const connectionId = `conn_${randomBytes(6).toString('hex')}`;
    await database.db.insert(ssoConnections).values({
      id: connectionId,
      customerName: 'Acme',
      idpEntityId: 'https://idp.acme.test',
      ssoUrl: 'https://idp.acme.test/sso',
      ssoBinding: 'redirect',
    });
    const enabled = await api('PUT', `/api/users/${user.sid}/sso`, { state: 'enforced', connectionId, reason: 'pilot' });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ ssoState: 'enforced', connectionId });
    const reverted = await api('PUT', `/api/users/${user.sid}/sso`, { state: 'enabled', reason: 'break-glass' });
    expect(reverted.body).toMatchObject({ ssoState: 'enabled', connectionId });

    const audit = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.userSid, user.sid as string));
    expect(audit.map((a) => a.detail)).toEqual([
      { from: 'none', to: 'enforced', reason: 'pilot' },
      { from: 'enforced', to: 'enabled', reason: 'break-glass' },
    ]);
    expect(audit.every((a) => a.actor === 'support' && a.type === 'user.sso_state_changed')).toBe(true);
  });
});
