import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { CookieJar, loginAtIdp, loginAtIdpByPost, parseForms } from '../support/idp/browserless.js';
import { type SimpleSamlIdp, startSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { createTestConnection, plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
let idp: SimpleSamlIdp;
const domain = uniqueDomain();
const alice = { username: 'alice', password: 'alice-pass', email: `alice@${domain}` };
const bob = { username: 'bob', password: 'bob-pass', email: `bob@${domain}` };
let redirectConnection: ReturnType<typeof plannedConnection>;
let postConnection: ReturnType<typeof plannedConnection>;
let aliceSid: string;

beforeAll(async () => {
  redirectConnection = plannedConnection(app.baseUrl);
  postConnection = plannedConnection(app.baseUrl);
  idp = await startSimpleSamlIdp({
    sp: [redirectConnection, postConnection].map((c) => ({ entityId: c.entityId, acsUrl: c.acsUrl })),
    users: [alice, bob],
  });
  for (const [planned, binding] of [
    [redirectConnection, 'redirect'],
    [postConnection, 'post'],
  ] as const) {
    await createTestConnection(database, {
      id: planned.id,
      idpEntityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      ssoBinding: binding,
      emailDomains: binding === 'redirect' ? [domain] : [],
      certificates: [idp.certificatePem],
      logoutRedirectUrl: binding === 'post' ? 'https://intranet.example.test/signed-out' : null,
    });
  }
  aliceSid = (await ssoUser(database, alice.email, 'enforced', redirectConnection.id)).sid;
  await ssoUser(database, bob.email, 'enabled', postConnection.id);
});

afterAll(async () => {
  await idp?.stop();
});

/** Posts what the IdP's auto-posting form carries to our ACS, as the browser would. */
async function postToAcs(acsUrl: string, samlResponse: string, relayState?: string) {
  const form = new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState ? { RelayState: relayState } : {}) });
  return await fetch(acsUrl, { method: 'POST', body: form, redirect: 'manual', headers: { accept: 'application/json' } });
}

async function me(cookie: string | null) {
  const res = await fetch(`${app.baseUrl}/api/me`, { headers: cookie ? { cookie: cookie.split(';')[0] as string } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('login through a real SimpleSAMLphp IdP', () => {
  it('publishes SP metadata with its own entity ID, the ACS by HTTP-POST and NameIDFormat emailAddress', async () => {
    const res = await fetch(`${app.baseUrl}/saml/${redirectConnection.id}/metadata`);
    expect(res.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    const xml = await res.text();
    expect(xml).toContain(`entityID="${redirectConnection.entityId}"`);
    expect(xml).toMatch(
      new RegExp(
        `AssertionConsumerService[^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"[^>]*Location="${redirectConnection.acsUrl}"`,
      ),
    );
    expect(xml).toContain('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
  });

  it('logs a user in SP-initiated by HTTP-Redirect, discovered by email, back to the RelayState path', async () => {
    const start = await fetch(`${app.baseUrl}/sso?email=${encodeURIComponent(alice.email.toUpperCase())}&RelayState=/console/reports`, {
      redirect: 'manual',
    });
    expect(start.status).toBe(302);
    const location = start.headers.get('location') as string;
    expect(location.startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);
    const result = await loginAtIdp(location, alice.username, alice.password);
    expect(result.acsUrl).toBe(redirectConnection.acsUrl);
    const res = await postToAcs(result.acsUrl, result.samlResponse, result.relayState);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/reports');
    const cookie = res.headers.get('set-cookie');
    expect(cookie).toMatch(/^sso_session=[^;]+;.*HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect((await me(cookie)).body).toEqual({ sid: aliceSid, email: alice.email, authMethod: 'sso', connectionId: redirectConnection.id });
    const audit = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.userSid, aliceSid), eq(auditEvents.type, 'login.succeeded')));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.reasonCode).toBe('ok');
  });

  it('logs a user in SP-initiated by HTTP-POST with an auto-posting form', async () => {
    const start = await fetch(`${app.baseUrl}/saml/${postConnection.id}/login?RelayState=/console`);
    expect(start.status).toBe(200);
    const [form] = parseForms(await start.text(), start.url);
    expect(form).toMatchObject({ action: idp.ssoUrl, method: 'POST' });
    const samlRequest = form?.fields.find((f) => f.name === 'SAMLRequest')?.value;
    expect(samlRequest).toBeTruthy();
    const result = await loginAtIdpByPost(
      idp.ssoUrl,
      { SAMLRequest: samlRequest as string, RelayState: '/console' },
      bob.username,
      bob.password,
    );
    const res = await postToAcs(result.acsUrl, result.samlResponse, result.relayState);
    expect(res.status).toBe(303);
    expect((await me(res.headers.get('set-cookie'))).body).toMatchObject({
      email: bob.email,
      authMethod: 'sso',
      connectionId: postConnection.id,
    });
  });

  it('logs a user in IdP-initiated (an unsolicited response) at the same ACS', async () => {
    const result = await loginAtIdp(idp.idpInitiatedUrl(redirectConnection.entityId), alice.username, alice.password);
    const xml = Buffer.from(result.samlResponse, 'base64').toString('utf8');
    expect(xml).not.toContain('InResponseTo');
    const res = await postToAcs(result.acsUrl, result.samlResponse);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console');
    expect((await me(res.headers.get('set-cookie'))).body).toMatchObject({ sid: aliceSid, authMethod: 'sso' });
  });

  it('refuses the same response posted twice: the second gets assertion_replayed and no session', async () => {
    const result = await loginAtIdp(idp.idpInitiatedUrl(redirectConnection.entityId), alice.username, alice.password);
    expect((await postToAcs(result.acsUrl, result.samlResponse)).status).toBe(303);
    const again = await postToAcs(result.acsUrl, result.samlResponse);
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.json()).toMatchObject({ error: { code: 'assertion_replayed' } });
  });

  it('refuses a user of the IdP whose email is not on file, and creates nothing', async () => {
    const stranger = { username: 'alice', password: 'alice-pass' };
    // Bob's connection does not serve Alice: she is on file, but SSO is enabled for her on the other connection.
    const result = await loginAtIdp(idp.idpInitiatedUrl(postConnection.entityId), stranger.username, stranger.password);
    const res = await postToAcs(result.acsUrl, result.samlResponse);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'wrong_connection' } });
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('logs out and sends the browser by POST to the connection Redirect URL', async () => {
    const result = await loginAtIdp(idp.idpInitiatedUrl(postConnection.entityId), bob.username, bob.password, { jar: new CookieJar() });
    const login = await postToAcs(result.acsUrl, result.samlResponse);
    const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
    const out = await fetch(`${app.baseUrl}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(out.status).toBe(200);
    expect(await out.text()).toMatch(/<form[^>]*method="post"[^>]*action="https:\/\/intranet\.example\.test\/signed-out"/);
    expect((await me(cookie)).status).toBe(401);
  });
});
