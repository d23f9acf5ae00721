// Domain ownership through the support API, against a real DNS server on loopback (dnsmasq): an onboarding
// claims its domains when it starts (a held one is 409 domain_taken), its connection stays a draft until
// each domain's TXT record carries the onboarding's value (or support overrides, audited, with a reason),
// and pilot users and migration lists wait for that.
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, onboardings } from '../../db/schema.js';
import { testDatabase } from '../support/deps.js';
import { type DnsServer, startDnsServer } from '../support/dns.js';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';
import { type OnboardingTestEnv, startOnboardingEnv } from '../support/onboarding-env.js';
import { overrideDomains } from '../support/onboarding-http.js';

const database = testDatabase();
let dns: DnsServer;
let env: OnboardingTestEnv;
let certificatePem: string;

beforeAll(async () => {
  certificatePem = (await generateSelfSignedCertificate({ commonName: 'idp.example.test' })).certificatePem;
  dns = await startDnsServer();
  env = await startOnboardingEnv(database, { DNS_RESOLVER: dns.address });
});
afterAll(async () => {
  await env?.close();
  await dns?.close();
  await database.close();
});

const unique = () => `own-${randomBytes(4).toString('hex')}.test`;

interface DomainView {
  domain: string;
  verified: boolean;
  method: string | null;
  record: { name: string; type: string; value: string };
}
interface Onboarding {
  stage: string;
  connection: { id: string; status: string } | null;
  domains: DomainView[];
}
interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

async function start(domains: string[], customerName = `Customer ${domains[0]}`) {
  return await env.api<{ id: string } & ErrorBody>('POST', '/api/onboardings', {
    customerName,
    adminEmail: `admin@${domains[0]}`,
    emailDomains: domains,
    options: { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: false },
  });
}

const onboarding = async (id: string) => (await env.api<Onboarding>('GET', `/api/onboardings/${id}`)).body;

const idpFields = () => ({
  entityId: 'https://idp.example.test/metadata',
  // An address, so the intake's check that the host resolves does not depend on the machine's DNS.
  ssoUrl: 'https://127.0.0.1/sso',
  ssoBinding: 'redirect',
  certificates: [certificatePem],
});

/** Started, with its IdP configuration accepted: at the pilot stage with a draft connection. */
async function atPilot(domains: string[]) {
  const started = await start(domains);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const { id } = started.body;
  const configured = await env.api('POST', `/api/onboardings/${id}/idp-config`, idpFields());
  expect(configured.status, JSON.stringify(configured.body)).toBe(200);
  await env.waitForStage(id, 'pilot');
  return id;
}

describe('claiming a domain', () => {
  it('refuses an onboarding for a domain another onboarding holds, 409 domain_taken naming the holder, and writes nothing', async () => {
    const domain = unique();
    const first = await start([domain], 'First Customer');
    expect(first.status).toBe(201);

    const second = await start([`spare-${domain}`, domain.toUpperCase()], 'Second Customer');

    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('domain_taken');
    expect(second.body.error.message).toContain(`${domain} (First Customer, ${first.body.id})`);
    expect(second.body.error.details).toEqual([expect.objectContaining({ domain, onboardingId: first.body.id })]);
    const written = await database.db.select().from(onboardings).where(eq(onboardings.customerName, 'Second Customer'));
    expect(written).toEqual([]);
    // The spare domain was not claimed either: a later onboarding may have it.
    expect((await start([`spare-${domain}`])).status).toBe(201);
  });

  it('frees the domains of a cancelled onboarding that signs nobody in, so the customer can start again', async () => {
    const domain = unique();
    const first = await start([domain]);
    const cancelled = await env.api('POST', `/api/onboardings/${first.body.id}/cancel`, { reason: 'wrong IdP', revertTo: 'none' });
    expect(cancelled.status).toBe(200);
    await env.waitForStage(first.body.id, 'cancelled');

    const again = await start([domain]);

    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect((await onboarding(again.body.id)).domains).toEqual([expect.objectContaining({ domain, verified: false })]);
    const released = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.onboardingId, first.body.id), eq(auditEvents.type, 'domain.released')));
    expect(released.map((e) => e.detail)).toEqual([{ domain, to: again.body.id }]);
  });
});

describe('verifying a domain by its DNS TXT record', () => {
  it('keeps the connection a draft and pilot users waiting until the record carries the onboarding’s value', async () => {
    const domain = unique();
    const id = await atPilot([domain]);
    const before = await onboarding(id);
    expect(before.connection?.status).toBe('draft');
    const [claim] = before.domains;
    expect(claim).toMatchObject({ domain, verified: false, method: null, record: { name: `_sso-onboarding.${domain}`, type: 'TXT' } });
    expect(claim?.record.value).toMatch(/^sso-onboarding-verification=[A-Za-z0-9_-]{32}$/);
    const pilot = await env.api<ErrorBody>('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`alice@${domain}`] });
    expect(pilot.status).toBe(409);
    expect(pilot.body.error.code).toBe('domain_unverified');

    const missing = await env.api<{ domains: { problem?: { code: string } }[]; allVerified: boolean }>(
      'POST',
      `/api/onboardings/${id}/domains/verify`,
    );
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ allVerified: false, domains: [{ problem: { code: 'txt_record_missing' } }] });

    // Another onboarding's value (or a guess) does not do.
    await dns.publish({ [`_sso-onboarding.${domain}`]: ['sso-onboarding-verification=somebody-elses-value-0000000000'] });
    const wrong = await env.api<{ domains: { problem?: { code: string } }[] }>('POST', `/api/onboardings/${id}/domains/verify`);
    expect(wrong.body.domains[0]?.problem?.code).toBe('txt_record_mismatch');
    expect((await onboarding(id)).connection?.status).toBe('draft');

    await dns.publish({ [`_sso-onboarding.${domain}`]: ['v=spf1 -all', claim?.record.value as string] });
    const found = await env.api<{ domains: { verified: boolean; method: string }[]; allVerified: boolean }>(
      'POST',
      `/api/onboardings/${id}/domains/verify`,
    );

    expect(found.body).toMatchObject({ allVerified: true, domains: [{ verified: true, method: 'dns' }] });
    const after = await onboarding(id);
    expect(after.connection?.status).toBe('active');
    expect(after.domains[0]).toMatchObject({ verified: true, method: 'dns' });
    const audited = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.onboardingId, id), eq(auditEvents.type, 'domain.verified')));
    expect(audited.map((e) => e.detail)).toEqual([{ domain, method: 'dns', record: `_sso-onboarding.${domain}` }]);
    expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`alice@${domain}`] })).status).toBe(200);
  });

  it('verifies each domain on its own: one of two found leaves the connection a draft', async () => {
    const [a, b] = [unique(), unique()];
    const id = await atPilot([a, b]);
    const { domains } = await onboarding(id);
    const recordOf = (domain: string) => domains.find((d) => d.domain === domain)?.record as DomainView['record'];
    await dns.publish({ [recordOf(a).name]: [recordOf(a).value] });

    const checked = await env.api<{ domains: { domain: string; verified: boolean }[]; allVerified: boolean }>(
      'POST',
      `/api/onboardings/${id}/domains/verify`,
    );

    expect(checked.body.allVerified).toBe(false);
    expect(Object.fromEntries(checked.body.domains.map((d) => [d.domain, d.verified]))).toEqual({ [a]: true, [b]: false });
    expect((await onboarding(id)).connection?.status).toBe('draft');
    // The value is the onboarding's own: it is the same for every domain of it, and another's differs.
    expect(recordOf(b).value).toBe(recordOf(a).value);
    const other = await start([unique()]);
    expect((await onboarding(other.body.id)).domains[0]?.record.value).not.toBe(recordOf(a).value);
  });
});

describe("support's override", () => {
  it('needs a reason, only for a domain the onboarding holds, and is audited with the reason', async () => {
    const domain = unique();
    const id = await atPilot([domain]);
    const path = (d: string) => `/api/onboardings/${id}/domains/${encodeURIComponent(d)}/override`;

    const noReason = await env.api<ErrorBody>('POST', path(domain), {});
    const nul = await env.api<ErrorBody>('POST', path(domain), { reason: 'checked\u0000' });
    const notHeld = await env.api<ErrorBody>('POST', path(unique()), { reason: 'checked' });
    expect([noReason.status, nul.status, notHeld.status]).toEqual([400, 400, 404]);
    expect(nul.body.error.message).toContain('control character');

    const overridden = await env.api<{ domains: DomainView[] }>('POST', path(domain), { reason: 'called the customer’s IT lead' });

    expect(overridden.status).toBe(200);
    expect(overridden.body.domains).toEqual([expect.objectContaining({ domain, verified: true, method: 'support' })]);
    expect((await onboarding(id)).connection?.status).toBe('active');
    const [event] = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.onboardingId, id), eq(auditEvents.type, 'domain.verification_overridden')));
    expect(event).toMatchObject({ actor: 'support', detail: { domain, reason: 'called the customer’s IT lead' } });
  });
});

describe('pilot users and migration lists of a verified onboarding', () => {
  it('refuses nominees outside the onboarding’s domains or on another connection, naming why', async () => {
    const [ours, theirs] = [unique(), unique()];
    const theirId = await atPilot([theirs]);
    await overrideDomains(env.api, theirId);
    const ourId = await atPilot([ours]);
    await overrideDomains(env.api, ourId);
    for (const email of [`mine@${ours}`, `outsider@${theirs}`]) expect((await env.api('POST', '/api/users', { email })).status).toBe(201);
    expect((await env.api('POST', `/api/onboardings/${theirId}/pilot-users`, { emails: [`outsider@${theirs}`] })).status).toBe(200);
    // A user at our domain whom support put on their connection stays theirs.
    const straddler = await env.api<{ sid: string }>('POST', '/api/users', { email: `straddler@${ours}` });
    const theirConnection = (await onboarding(theirId)).connection?.id;
    expect(
      (await env.api('PUT', `/api/users/${straddler.body.sid}/sso`, { state: 'enabled', connectionId: theirConnection, reason: 'test' }))
        .status,
    ).toBe(200);

    const nominated = await env.api<{ users: { email: string }[]; refused: { email: string; code: string }[] }>(
      'POST',
      `/api/onboardings/${ourId}/pilot-users`,
      { emails: [`mine@${ours}`, `outsider@${theirs}`, `straddler@${ours}`] },
    );

    expect(nominated.status).toBe(200);
    expect(nominated.body.users.map((u) => u.email)).toEqual([`mine@${ours}`]);
    expect(nominated.body.refused).toEqual([
      expect.objectContaining({ email: `outsider@${theirs}`, code: 'outside_domains' }),
      expect.objectContaining({ email: `straddler@${ours}`, code: 'other_connection' }),
    ]);
    const [row] = await database.sql<{ connection_id: string }[]>`select connection_id from users where email = ${`outsider@${theirs}`}`;
    expect(row?.connection_id).toBe(theirConnection);
  });

  it('refuses a domain migration list for a domain that is not the onboarding’s, 422 domain_not_in_onboarding', async () => {
    const [ours, theirs] = [unique(), unique()];
    const id = await atPilot([ours]);
    await overrideDomains(env.api, id);
    await start([theirs]);

    const res = await env.api<ErrorBody>('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain: theirs });

    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('domain_not_in_onboarding');
  });
});
