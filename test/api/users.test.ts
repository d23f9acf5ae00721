import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../../domain/audit.js';
import { createSession } from '../../domain/sessions.js';
import { supportToken } from '../support/deps.js';
import { createTestConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();

interface Lookup {
  items: {
    sid: string;
    email: string;
    ssoState: string;
    connectionId: string | null;
    lastSsoLoginAt: string | null;
    activeSessions: number;
  }[];
  error?: { code: string; message: string; details?: { path: string }[] };
}

async function api<T = Lookup>(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function connectedUser(state: 'none' | 'enabled' | 'enforced') {
  const domain = uniqueDomain();
  const connection = await createTestConnection(database, {
    idpEntityId: `https://idp.${domain}`,
    ssoUrl: `https://idp.${domain}/sso`,
    ssoBinding: 'redirect',
    certificates: [],
    emailDomains: [domain],
  });
  const email = `Kate.${randomBytes(3).toString('hex')}@${domain}`;
  const user = await ssoUser(database, email, state, connection.id);
  return { ...user, connectionId: connection.id, domain };
}

describe('looking a user up', () => {
  it('finds a user by email in any case, with SSO state, connection, last SSO sign-in and live sessions', async () => {
    const user = await connectedUser('enforced');
    const signedInAt = new Date(Date.now() - 60_000);
    await recordAuditEvent(database.db, {
      type: 'login.succeeded',
      reasonCode: 'ok',
      userSid: user.sid,
      connectionId: user.connectionId,
      detail: { method: 'sso' },
      at: signedInAt,
    });
    // A later password sign-in is not an SSO sign-in.
    await recordAuditEvent(database.db, { type: 'login.succeeded', reasonCode: 'ok', userSid: user.sid, detail: { method: 'password' } });
    const now = new Date();
    await createSession(database.db, { userSid: user.sid, authMethod: 'sso', connectionId: user.connectionId, now });
    await createSession(database.db, {
      userSid: user.sid,
      authMethod: 'sso',
      connectionId: user.connectionId,
      now: new Date(now.getTime() - 86_400_000),
    });

    const found = await api('GET', `/api/users?email=${encodeURIComponent(user.email.toUpperCase())}`);
    expect(found.status).toBe(200);
    expect(found.body.items).toEqual([
      {
        sid: user.sid,
        email: user.email,
        ssoState: 'enforced',
        connectionId: user.connectionId,
        lastSsoLoginAt: signedInAt.toISOString(),
        activeSessions: 1,
      },
    ]);
    expect((await api('GET', `/api/users?sid=${user.sid}`)).body.items.map((u) => u.email)).toEqual([user.email]);
  });

  it('answers an empty list for an email nobody has, and never folds look-alike letters', async () => {
    const user = await connectedUser('none');
    expect((await api('GET', `/api/users?email=nobody-${randomBytes(3).toString('hex')}@acme.test`)).body.items).toEqual([]);
    // The Kelvin sign lower-cases to k in PostgreSQL's locale, but is not the user's K.
    const lookalike = user.email.replace('K', '\u212A');
    expect((await api('GET', `/api/users?email=${encodeURIComponent(lookalike)}`)).body.items).toEqual([]);
  });

  it('needs exactly one of email or sid, and a well-formed SID, naming the parameter', async () => {
    for (const query of ['', '?email=', `?email=a@b.test&sid=US${'0'.repeat(32)}`, '?sid=US123', '?who=me']) {
      const res = await api('GET', `/api/users${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error?.code, query).toBe('invalid_request');
    }
    const res = await api('GET', '/api/users?sid=US123');
    expect(res.body.error?.details?.map((d) => d.path)).toEqual(['sid']);
  });
});

describe("changing a user's SSO state by hand", () => {
  it('refuses a change without a reason, or with a blank one, as reason_required and changes nothing', async () => {
    const user = await connectedUser('enforced');
    for (const body of [{ state: 'enabled' }, { state: 'enabled', reason: '   ' }]) {
      const res = await api<{ error: { code: string; message: string } }>('PUT', `/api/users/${user.sid}/sso`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('reason_required');
      expect(res.body.error.message).toMatch(/reason/);
    }
    expect((await api('GET', `/api/users?sid=${user.sid}`)).body.items[0]?.ssoState).toBe('enforced');
    const [changes] = await database.sql<{ count: number }[]>`
      select count(*)::int from audit_events where user_sid = ${user.sid} and type = 'user.sso_state_changed' and actor = 'support'`;
    expect(changes?.count).toBe(0);
  });

  it('changes it with a reason, audited with who and why', async () => {
    const user = await connectedUser('enforced');
    const res = await api<{ ssoState: string }>('PUT', `/api/users/${user.sid}/sso`, {
      state: 'enabled',
      reason: ' IdP outage, ticket 88 ',
    });
    expect(res.status).toBe(200);
    expect(res.body.ssoState).toBe('enabled');
    const events = await database.sql<{ actor: string; detail: unknown }[]>`
      select actor, detail from audit_events where user_sid = ${user.sid} and type = 'user.sso_state_changed' and actor = 'support'`;
    expect(events).toEqual([{ actor: 'support', detail: { from: 'enforced', to: 'enabled', reason: 'IdP outage, ticket 88' } }]);
  });
});
