// `npm run dev`'s demo IdPs (issue #13, item 5), each an implementation independent of our SP code:
// SimpleSAMLphp where installed and samlify otherwise. Each signs a demo user in through the demo
// connection by email-first discovery; the demo connection follows a restarted IdP (new port, new key);
// the samlify one refuses an SP that is not this service's and a wrong password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findConnection } from '../../domain/connections.js';
import { freePort } from '../../lib/ports.js';
import { demoPassword, demoSsoUsers, ensureDemoConnection } from '../../scripts/demo-data.js';
import { type DemoIdp, startDemoIdp } from '../../scripts/local/demoIdp.js';
import { loginAtIdp } from '../support/idp/browserless.js';
import { useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv({ env: { ALLOW_PRIVATE_IDP_URLS: 'true' } });
const dataDirs: string[] = [];
const running: DemoIdp[] = [];

afterAll(async () => {
  for (const idp of running) await idp.stop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function demoIdp(choice: 'simplesamlphp' | 'samlify'): Promise<DemoIdp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'demo-idp-'));
  dataDirs.push(dataDir);
  const idp = await startDemoIdp({
    choice,
    dataDir,
    port: await freePort(),
    publicBaseUrl: app.baseUrl,
    users: demoSsoUsers,
    password: demoPassword,
  });
  running.push(idp);
  return idp;
}

/** Discovery by email, the IdP's login form, then the ACS: its answer. */
async function signIn(email: string, password = demoPassword): Promise<Response> {
  const start = await fetch(`${app.baseUrl}/sso?email=${encodeURIComponent(email)}`, { redirect: 'manual' });
  expect(start.status, await start.text()).toBe(302);
  const login = await loginAtIdp(start.headers.get('location') as string, email, password);
  expect(login.acsUrl.startsWith(`${app.baseUrl}/saml/`)).toBe(true);
  const body = new URLSearchParams({ SAMLResponse: login.samlResponse });
  if (login.relayState !== undefined) body.set('RelayState', login.relayState);
  return await fetch(login.acsUrl, { method: 'POST', body, redirect: 'manual' });
}

async function me(res: Response) {
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  return await (await fetch(`${app.baseUrl}/api/me`, { headers: { cookie } })).json();
}

describe('the demo IdPs of npm run dev', () => {
  let connectionId: string;

  it.each(['samlify', 'simplesamlphp'] as const)('%s signs a demo user in through the demo connection', async (choice) => {
    const idp = await demoIdp(choice);
    const ensured = await ensureDemoConnection(database.db, idp);
    // The first IdP makes the connection; the second (another port, another key) takes it over.
    if (connectionId) expect(ensured).toEqual({ connectionId, created: false });
    else expect(ensured.created).toBe(true);
    connectionId = ensured.connectionId;
    // npm run dev changes the connection before the API starts; this API runs already, so its ACS cache is told.
    app.deps.connections.forget(connectionId);
    const connection = await findConnection(database.db, connectionId);
    expect(connection).toMatchObject({ status: 'active', idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl });
    expect(connection?.certificates).toHaveLength(1);

    const res = await signIn(demoSsoUsers[1] as string);
    expect(res.status, await res.clone().text()).toBe(303);
    expect(await me(res)).toMatchObject({ email: demoSsoUsers[1], authMethod: 'sso', connectionId });
  });

  it('samlify refuses a request from an SP that is not this service, and a wrong password', async () => {
    const idp = await demoIdp('samlify');
    const foreign = Buffer.from(
      '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0" IssueInstant="2026-12-04T00:00:00Z"><saml:Issuer>https://evil.example/saml/x/metadata</saml:Issuer></samlp:AuthnRequest>',
    ).toString('base64');
    const refused = await fetch(idp.ssoUrl, { method: 'POST', body: new URLSearchParams({ SAMLRequest: foreign }) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('only to this service');

    app.deps.connections.forget((await ensureDemoConnection(database.db, idp)).connectionId);
    await expect(signIn(demoSsoUsers[0] as string, 'not-the-password')).rejects.toThrow(/login form again/);
  });
});
