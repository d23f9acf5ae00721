// A session lasts only while what granted it holds: the user's SSO state, their connection, and that
// connection's status. Every change is made the way the service makes it (support's API) or, where no
// endpoint exists yet (disabling a connection), straight in the database.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { sessions, ssoConnections } from '../../db/schema.js';
import { supportToken } from '../support/deps.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { quickSignedResponse } from '../support/saml/fastSigner.js';
import { createPlannedConnection, type plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const idpEntityId = 'https://idp.example.test/metadata';
const password = 'correct horse battery staple';
const domain = uniqueDomain();
let idp: SelfSignedCertificate;
type Planned = ReturnType<typeof plannedConnection>;
let main: Planned;
let other: Planned;

const email = (name: string) => `${name}.${randomBytes(3).toString('hex')}@${domain}`;

async function connection(): Promise<Planned> {
  return await createPlannedConnection(database, app.baseUrl, { idpEntityId, certificates: [idp.certificatePem], status: 'active' });
}

beforeAll(async () => {
  idp = await generateSelfSignedCertificate({ commonName: 'idp.example.test' });
  [main, other] = [await connection(), await connection()];
});

const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0] as string;

async function passwordSession(address: string): Promise<string> {
  const res = await fetch(`${app.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ email: address, password }),
  });
  expect(res.status).toBe(303);
  return cookieOf(res);
}

async function ssoSession(address: string, through: Planned): Promise<string> {
  const SAMLResponse = quickSignedResponse(
    { destination: through.acsUrl, audience: through.entityId, issuer: idpEntityId, email: address },
    idp,
  );
  const res = await fetch(through.acsUrl, { method: 'POST', body: new URLSearchParams({ SAMLResponse }), redirect: 'manual' });
  expect(res.status).toBe(303);
  return cookieOf(res);
}

const me = async (cookie: string) => (await fetch(`${app.baseUrl}/api/me`, { headers: { cookie, accept: 'application/json' } })).status;

async function supportSetsSso(sid: string, body: { state: 'none' | 'enabled' | 'enforced'; connectionId?: string }) {
  const res = await fetch(`${app.baseUrl}/api/users/${sid}/sso`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, reason: 'ticket 4711' }),
  });
  expect(res.status).toBe(200);
}

describe('sessions end when what granted them changes', () => {
  it('ends a password session when support enforces SSO for the user', async () => {
    const address = email('pw');
    const user = await ssoUser(database, address, 'none', main.id, password);
    const cookie = await passwordSession(address);
    expect(await me(cookie)).toBe(200);
    await supportSetsSso(user.sid, { state: 'enforced', connectionId: main.id });
    expect(await me(cookie)).toBe(401);
  });

  it('keeps a password session when the user is only enabled for SSO', async () => {
    const address = email('pwe');
    const user = await ssoUser(database, address, 'none', main.id, password);
    const cookie = await passwordSession(address);
    await supportSetsSso(user.sid, { state: 'enabled', connectionId: main.id });
    expect(await me(cookie)).toBe(200);
  });

  it('ends an SSO session when the user is reverted to no SSO', async () => {
    const address = email('rev');
    const user = await ssoUser(database, address, 'enabled', main.id);
    const cookie = await ssoSession(address, main);
    expect(await me(cookie)).toBe(200);
    await supportSetsSso(user.sid, { state: 'none' });
    expect(await me(cookie)).toBe(401);
  });

  it('ends an SSO session when the user is moved to another connection', async () => {
    const address = email('mov');
    const user = await ssoUser(database, address, 'enforced', main.id);
    const cookie = await ssoSession(address, main);
    await supportSetsSso(user.sid, { state: 'enforced', connectionId: other.id });
    expect(await me(cookie)).toBe(401);
  });

  it('ends every SSO session of a connection that is disabled, and no session of another', async () => {
    const disabled = await connection();
    const cookies = [];
    for (const name of ['dis1', 'dis2']) {
      const address = email(name);
      await ssoUser(database, address, 'enabled', disabled.id);
      cookies.push(await ssoSession(address, disabled));
    }
    const bystander = email('by');
    await ssoUser(database, bystander, 'enabled', main.id);
    const bystanderCookie = await ssoSession(bystander, main);
    await database.db.update(ssoConnections).set({ status: 'disabled' }).where(eq(ssoConnections.id, disabled.id));
    expect(await Promise.all(cookies.map(me))).toEqual([401, 401]);
    expect(await me(bystanderCookie)).toBe(200);
  });

  it('records a session it refuses for that reason as ended', async () => {
    const address = email('end');
    const user = await ssoUser(database, address, 'none', main.id, password);
    const cookie = await passwordSession(address);
    await supportSetsSso(user.sid, { state: 'enforced', connectionId: main.id });
    expect(await me(cookie)).toBe(401);
    const [row] = await database.db.select({ endedAt: sessions.endedAt }).from(sessions).where(eq(sessions.userSid, user.sid));
    expect(row?.endedAt).toBeInstanceOf(Date);
  });
});
