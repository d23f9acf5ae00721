// One customer never reaches another's users or domain: discovery answers with the one connection that
// holds a domain, a second claim is refused, a draft connection is never discovered, and a pilot's first
// login counts only for the onboarding whose connection it came through.
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { onboardings, pilotUsers } from '../../db/schema.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { signedResponse } from '../support/saml/craft.js';
import { createTestConnection, plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
let idp: SelfSignedCertificate;

beforeAll(async () => {
  idp = await generateSelfSignedCertificate({ commonName: 'idp.example.test' });
});

async function onboardingRow(domain: string): Promise<string> {
  const id = `ob_${randomBytes(12).toString('hex')}`;
  await database.db.insert(onboardings).values({
    id,
    workflowId: `onboarding-${id}`,
    customerName: `Customer ${domain}`,
    adminEmail: `admin@${domain}`,
    emailDomains: [domain],
    options: {},
  });
  return id;
}

async function connectionFor(domains: string[], extra: { onboardingId?: string; status?: 'active' | 'draft' } = {}) {
  const planned = plannedConnection(app.baseUrl);
  const idpEntityId = `https://idp-${planned.id}.example.test/metadata`;
  await createTestConnection(database, {
    id: planned.id,
    idpEntityId,
    ssoUrl: `https://idp-${planned.id}.example.test/sso`,
    ssoBinding: 'redirect',
    emailDomains: domains,
    certificates: [idp.certificatePem],
    ...extra,
  });
  return { ...planned, idpEntityId };
}

const discover = (email: string) => fetch(`${app.baseUrl}/sso?email=${encodeURIComponent(email)}`, { redirect: 'manual' });

describe('one connection per email domain', () => {
  it('refuses a second connection for a domain another holds, with domain_taken naming the holder', async () => {
    const domain = uniqueDomain();
    const first = await connectionFor([domain]);

    const second = connectionFor([`other-${domain}`, domain.toUpperCase()]);

    await expect(second).rejects.toMatchObject({
      code: 'domain_taken',
      httpStatus: 409,
      details: [expect.objectContaining({ domain, connectionId: first.id })],
    });
    const [{ count } = { count: -1 }] = await database.sql<{ count: number }[]>`
      select count(*)::int as count from domain_claims where domain = ${`other-${domain}`}`;
    expect(count).toBe(0);
  });

  it('discovers the one connection holding the domain, the same every time', async () => {
    const domain = uniqueDomain();
    const holder = await connectionFor([domain]);
    await connectionFor([`x-${domain}`]).catch(() => undefined);
    await expect(connectionFor([domain])).rejects.toMatchObject({ code: 'domain_taken' });

    const answers = await Promise.all(Array.from({ length: 5 }, () => discover(`someone@${domain.toUpperCase()}`)));

    for (const res of answers) {
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toMatch(new RegExp(`^https://idp-${holder.id}\\.example\\.test/sso\\?`));
    }
  });

  it('does not discover a draft connection, whose domains are not verified yet', async () => {
    const domain = uniqueDomain();
    const onboardingId = await onboardingRow(domain);
    await connectionFor([domain], { onboardingId, status: 'draft' });

    const res = await discover(`someone@${domain}`);

    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_sso_for_domain');
  });
});

describe('a pilot login', () => {
  it('counts only for the onboarding whose connection it came through', async () => {
    const domain = uniqueDomain();
    const ours = await onboardingRow(domain);
    const theirs = await onboardingRow(uniqueDomain());
    const connection = await connectionFor([domain], { onboardingId: ours });
    const user = await ssoUser(database, `pilot@${domain}`, 'enabled', connection.id);
    // Another onboarding once listed the same user as its pilot (before nominees were checked).
    await database.db.insert(pilotUsers).values([
      { onboardingId: ours, userSid: user.sid, email: user.email },
      { onboardingId: theirs, userSid: user.sid, email: user.email },
    ]);
    const SAMLResponse = await signedResponse({
      destination: connection.acsUrl,
      audience: connection.entityId,
      issuer: connection.idpEntityId,
      keyPem: idp.privateKeyPem,
      certPem: idp.certificatePem,
      email: user.email,
    });

    const res = await fetch(connection.acsUrl, { method: 'POST', body: new URLSearchParams({ SAMLResponse }), redirect: 'manual' });

    expect(res.status).toBe(303);
    const firstLogin = async (onboardingId: string) =>
      (
        await database.db
          .select({ at: pilotUsers.firstLoginAt })
          .from(pilotUsers)
          .where(and(eq(pilotUsers.onboardingId, onboardingId), eq(pilotUsers.userSid, user.sid)))
      )[0]?.at ?? null;
    expect(await firstLogin(ours)).toBeInstanceOf(Date);
    expect(await firstLogin(theirs)).toBeNull();
  });
});
