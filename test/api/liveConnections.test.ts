// Live connections (issue #13, item 1): in any stage, support sees a connection's IdP side, edits it with
// every problem at once, adds and removes certificates (never the last current one) and switches it off
// and on; each change names its reason and leaves an audit event. The logins are real ones at the ACS.
import { beforeAll, describe, expect, it } from 'vitest';
import { supportToken } from '../support/deps.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { signedResponse } from '../support/saml/craft.js';
import { createPlannedConnection, type plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

// IdP URLs on loopback are accepted here (as in local testing), so an edit can point at 127.0.0.1.
const { database, app } = useApiEnv({ env: { ALLOW_PRIVATE_IDP_URLS: 'true' } });
const idpEntityId = 'https://login.example.test/idp';
let oldKey: SelfSignedCertificate;
let newKey: SelfSignedCertificate;

const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
};

interface Detail {
  status: string;
  domains: string[];
  idp: {
    vendor: string;
    ssoUrl: string;
    emailAttribute: string | null;
    metadataUrl: string | null;
    certificates: { fingerprintSha256: string; subject: string; daysLeft: number; state: string }[];
  };
  lockedOut?: number;
}
type Failure = { error: { code: string; details?: { field: string; code: string }[] } };

async function newConnection() {
  const domain = uniqueDomain();
  const connection = await createPlannedConnection(database, app.baseUrl, {
    idpEntityId,
    certificates: [oldKey.certificatePem],
    emailDomains: [domain],
  });
  const email = `alice@${domain}`;
  await ssoUser(database, email, 'enforced', connection.id);
  return { ...connection, domain, email };
}

async function login(connection: ReturnType<typeof plannedConnection> & { email: string }, key: SelfSignedCertificate) {
  const samlResponse = await signedResponse({
    destination: connection.acsUrl,
    audience: connection.entityId,
    issuer: idpEntityId,
    keyPem: key.privateKeyPem,
    certPem: key.certificatePem,
    email: connection.email,
  });
  const res = await fetch(connection.acsUrl, {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: samlResponse }),
    redirect: 'manual',
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, cookie, text: await res.text() };
}

const signedIn = async (cookie: string | undefined) =>
  cookie ? (await fetch(`${app.baseUrl}/api/me`, { headers: { cookie } })).status === 200 : false;

const auditOf = async (connectionId: string, type: string) =>
  await database.sql<{ actor: string; detail: Record<string, unknown> }[]>`
    select actor, detail from audit_events where connection_id = ${connectionId} and type = ${type} order by id`;

beforeAll(async () => {
  oldKey = await generateSelfSignedCertificate({ commonName: 'old.login.example.test' });
  newKey = await generateSelfSignedCertificate({ commonName: 'new.login.example.test' });
});

describe('a live connection', () => {
  it("shows its IdP side with every certificate's subject, fingerprint, days left and state", async () => {
    const connection = await newConnection();

    const { status, body } = await api<Detail>('GET', `/api/connections/${connection.id}`);

    expect(status).toBe(200);
    expect(body.status).toBe('active');
    expect(body.domains).toEqual([connection.domain]);
    expect(body.idp.ssoUrl).toBe('https://idp.example.test/sso');
    expect(body.idp.certificates).toEqual([
      {
        fingerprintSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        subject: expect.stringContaining('old.login.example.test'),
        notBefore: expect.any(String),
        notAfter: expect.any(String),
        daysLeft: expect.any(Number),
        state: 'current',
      },
    ]);
    expect(body.idp.certificates[0]?.daysLeft).toBeGreaterThan(300);
  });

  it('answers 404 for a connection that does not exist and 400 for a malformed ID', async () => {
    expect((await api<Failure>('GET', '/api/connections/conn_000000000000000000000000')).body.error.code).toBe('not_found');
    expect((await api('GET', '/api/connections/..%2fusers')).status).toBe(400);
  });
});

describe('editing a connection', () => {
  it('reports every problem at once and changes nothing', async () => {
    const connection = await newConnection();

    const refused = await api<Failure>('PATCH', `/api/connections/${connection.id}`, {
      ssoUrl: 'ftp://login.example.test/sso',
      emailAttribute: 'e mail',
      reason: 'IdP moved',
    });

    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('invalid_idp_config');
    expect(refused.body.error.details?.map((p) => p.field).sort()).toEqual(['emailAttribute', 'ssoUrl']);
    expect((await api<Detail>('GET', `/api/connections/${connection.id}`)).body.idp.ssoUrl).toBe('https://idp.example.test/sso');
    expect(await auditOf(connection.id, 'connection.updated')).toEqual([]);
  });

  it('needs a reason', async () => {
    const connection = await newConnection();
    const refused = await api<Failure>('PATCH', `/api/connections/${connection.id}`, { ssoUrl: 'https://127.0.0.1/sso' });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it('saves the change and audits it with the actor, the reason and what it was before', async () => {
    const connection = await newConnection();

    const saved = await api<Detail>('PATCH', `/api/connections/${connection.id}`, {
      ssoUrl: 'https://127.0.0.1/new-sso',
      emailAttribute: 'mail',
      reason: 'the IdP was migrated to a new host',
    });

    expect(saved.status).toBe(200);
    expect(saved.body.idp).toMatchObject({ ssoUrl: 'https://127.0.0.1/new-sso', emailAttribute: 'mail' });
    const [event] = await auditOf(connection.id, 'connection.updated');
    expect(event?.actor).toBe('support');
    expect(event?.detail).toEqual({
      reason: 'the IdP was migrated to a new host',
      from: { ssoUrl: 'https://idp.example.test/sso', emailAttribute: null },
      to: { ssoUrl: 'https://127.0.0.1/new-sso', emailAttribute: 'mail' },
    });
  });
});

describe("a connection's certificates", () => {
  it('takes a new certificate that verifies the next login at once, then retires the old one', async () => {
    const connection = await newConnection();
    expect((await login(connection, newKey)).status).toBe(403);

    const added = await api<Detail['idp']['certificates'][number]>('POST', `/api/connections/${connection.id}/certificates`, {
      certificate: newKey.certificatePem,
      reason: 'AD FS published its next signing certificate',
    });

    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ state: 'current', subject: expect.stringContaining('new.login.example.test') });
    expect((await login(connection, newKey)).status).toBe(303);
    expect((await login(connection, oldKey)).status).toBe(303);

    const before = (await api<Detail>('GET', `/api/connections/${connection.id}`)).body.idp.certificates;
    const old = before.find((c) => c.subject.includes('old.login'));
    const removed = await api<Detail>('DELETE', `/api/connections/${connection.id}/certificates/${old?.fingerprintSha256}`, {
      reason: 'rotated',
    });

    expect(removed.status).toBe(200);
    expect(removed.body.idp.certificates.map((c) => [c.subject.includes('old.login') ? 'old' : 'new', c.state])).toEqual([
      ['new', 'current'],
      ['old', 'retired'],
    ]);
    const refused = await login(connection, oldKey);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('invalid_signature');
    expect((await login(connection, newKey)).status).toBe(303);
    expect((await auditOf(connection.id, 'connection.certificate_added')).map((e) => e.detail.reason)).toEqual([
      'AD FS published its next signing certificate',
    ]);
    expect((await auditOf(connection.id, 'connection.certificate_removed')).map((e) => e.detail.reason)).toEqual(['rotated']);
  });

  it('never removes the last current certificate (409 last_certificate)', async () => {
    const connection = await newConnection();
    const [only] = (await api<Detail>('GET', `/api/connections/${connection.id}`)).body.idp.certificates;

    const refused = await api<Failure>('DELETE', `/api/connections/${connection.id}/certificates/${only?.fingerprintSha256}`, {
      reason: 'tidy up',
    });

    expect([refused.status, refused.body.error.code]).toEqual([409, 'last_certificate']);
    expect((await login(connection, oldKey)).status).toBe(303);
  });

  it('refuses a certificate it already has, and one that is no certificate, naming the problem', async () => {
    const connection = await newConnection();
    const again = await api<Failure>('POST', `/api/connections/${connection.id}/certificates`, {
      certificate: oldKey.certificatePem,
      reason: 'x',
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'certificate_exists']);
    const junk = await api<Failure>('POST', `/api/connections/${connection.id}/certificates`, {
      certificate: 'not a certificate',
      reason: 'x',
    });
    expect([junk.status, junk.body.error.code, junk.body.error.details?.[0]?.code]).toEqual([
      422,
      'invalid_idp_config',
      'certificate_unparseable',
    ]);
  });
});

describe('switching a connection off and on', () => {
  it('refuses its logins, ends its sessions, leaves discovery, and on again revives no old session', async () => {
    const connection = await newConnection();
    const before = await login(connection, oldKey);
    expect(await signedIn(before.cookie)).toBe(true);

    const disabled = await api<Detail>('POST', `/api/connections/${connection.id}/disable`, { reason: 'customer offboarded' });

    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ status: 'disabled', lockedOut: 1 });
    // Ended now, not only refused when next used: nobody uses the old cookie until the connection is on again.
    const open = await database.sql`select 1 from sessions where connection_id = ${connection.id} and ended_at is null`;
    expect(open.length).toBe(0);
    const refused = await login(connection, oldKey);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('connection_disabled');
    expect((await fetch(`${app.baseUrl}/sso?email=${encodeURIComponent(connection.email)}`, { redirect: 'manual' })).status).toBe(404);
    expect((await auditOf(connection.id, 'connection.disabled'))[0]?.detail).toMatchObject({
      reason: 'customer offboarded',
      lockedOut: 1,
      sessionsEnded: 1,
    });

    const enabled = await api<Detail>('POST', `/api/connections/${connection.id}/enable`, { reason: 'back again' });

    expect([enabled.status, enabled.body.status]).toEqual([200, 'active']);
    expect(await signedIn(before.cookie)).toBe(false);
    const after = await login(connection, oldKey);
    expect(after.status).toBe(303);
    expect(await signedIn(after.cookie)).toBe(true);
    expect((await auditOf(connection.id, 'connection.enabled')).map((e) => e.detail.reason)).toEqual(['back again']);
  });

  it('needs a reason to switch it off', async () => {
    const connection = await newConnection();
    const refused = await api<Failure>('POST', `/api/connections/${connection.id}/disable`, {});
    expect([refused.status, refused.body.error.code]).toEqual([400, 'invalid_request']);
    expect((await api<Detail>('GET', `/api/connections/${connection.id}`)).body.status).toBe('active');
  });
});
