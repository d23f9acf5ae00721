// Logins never wait on Temporal: with its frontend unreachable, SSO and password logins still work and a
// pilot user's first login is still recorded (the workflow is told later, fire-and-forget).
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { onboardings, pilotUsers } from '../../db/schema.js';
import { freePort } from '../../lib/ports.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { signedResponse } from '../support/saml/craft.js';
import { createTestConnection, plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

// Nothing listens at its Temporal address.
const { database, app } = useApiEnv({ env: async () => ({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` }) });
const idpEntityId = 'https://idp.example.test/metadata';
const domain = uniqueDomain();
const onboardingId = `ob_${randomBytes(12).toString('hex')}`;
let idp: SelfSignedCertificate;
let planned: ReturnType<typeof plannedConnection>;

beforeAll(async () => {
  idp = await generateSelfSignedCertificate({ commonName: 'idp.example.test' });
  planned = plannedConnection(app.baseUrl);
  await database.db.insert(onboardings).values({
    id: onboardingId,
    workflowId: `onboarding-${onboardingId}`,
    customerName: 'Acme',
    adminEmail: `admin@${domain}`,
    emailDomains: [domain],
    options: {},
  });
  // The onboarding's connection: a pilot's first login counts only for the onboarding it came through.
  await createTestConnection(database, {
    id: planned.id,
    onboardingId,
    idpEntityId,
    ssoUrl: 'https://idp.example.test/sso',
    ssoBinding: 'redirect',
    emailDomains: [domain],
    certificates: [idp.certificatePem],
  });
});

describe('logins while Temporal is unreachable', () => {
  it('reports Temporal not ready', async () => {
    const res = await fetch(`${app.baseUrl}/readyz`);
    expect(res.status).toBe(503);
  });

  it('logs a pilot user in through SSO and records the first login', async () => {
    const address = `pilot@${domain}`;
    const user = await ssoUser(database, address, 'enabled', planned.id);
    await database.db.insert(pilotUsers).values({ onboardingId, userSid: user.sid, email: address });
    const samlResponse = await signedResponse({
      destination: planned.acsUrl,
      audience: planned.entityId,
      issuer: idpEntityId,
      keyPem: idp.privateKeyPem,
      certPem: idp.certificatePem,
      email: address,
    });
    const res = await fetch(planned.acsUrl, {
      method: 'POST',
      body: new URLSearchParams({ SAMLResponse: samlResponse }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/^sso_session=/);
    const deadline = Date.now() + 10_000;
    let recorded: Date | null = null;
    while (!recorded && Date.now() < deadline) {
      const [row] = await database.db
        .select()
        .from(pilotUsers)
        .where(and(eq(pilotUsers.onboardingId, onboardingId), eq(pilotUsers.userSid, user.sid)));
      recorded = row?.firstLoginAt ?? null;
    }
    expect(recorded).toBeInstanceOf(Date);
  });

  it('logs a user in with a password', async () => {
    const address = `pw@${domain}`;
    await ssoUser(database, address, 'none', planned.id, 'a long enough password');
    const res = await fetch(`${app.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: address, password: 'a long enough password' }),
    });
    expect(res.status).toBe(303);
  });
});
