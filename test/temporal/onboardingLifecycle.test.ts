import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, mailOutbox, users } from '../../db/schema.js';
import { recordHistory } from '../support/histories.js';
import { loginAtIdp, parseForms } from '../support/idp/browserless.js';
import { useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { overrideDomains } from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';
import { extractLinks, type ReceivedMail } from '../support/smtp.js';

const { database, env } = useOnboardingEnv();
const domain = `acme-${randomBytes(4).toString('hex')}.test`;
const adminEmail = `it-admin@${domain}`;
const password = 'password-before-sso';
const people = ['alice', 'bob', 'carol', 'erin', 'frank'].map((name) => ({
  username: name,
  password: `${name}-idp`,
  email: `${name}@${domain}`,
}));
const alias = { username: 'sales', password: 'sales-idp', email: `sales@${domain}` };

const idp = useSimpleSamlIdp({ sp: [], users: [...people, alias] });

beforeAll(async () => {
  for (const person of [...people, alias]) {
    const res = await env.api('POST', '/api/users', { email: person.email, password });
    expect(res.status).toBe(201);
  }
});

const linkIn = (mail: ReceivedMail, path: string) => {
  const link = extractLinks(mail).find((l) => l.includes(path));
  if (!link) throw new Error(`no ${path} link in mail "${mail.subject}": ${mail.text}`);
  return link;
};
const approvalMail = (step: RegExp) =>
  env.smtp.waitFor((m) => m.to.includes(adminEmail) && step.test(m.subject) && m.text.includes('/approvals/'), 20_000);

async function decide(link: string, fields: Record<string, string | string[]>) {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) form.append(name, v);
  return await fetch(link, { method: 'POST', body: form, headers: { accept: 'text/html' } });
}

async function ssoLogin(person: { username: string; password: string }, spEntityId: string) {
  const result = await loginAtIdp(idp.idpInitiatedUrl(spEntityId), person.username, person.password);
  return await fetch(result.acsUrl, {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: result.samlResponse }),
    redirect: 'manual',
    headers: { accept: 'application/json' },
  });
}

async function passwordLogin(email: string) {
  return await fetch(`${env.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
}

describe('an onboarding from IdP details to SSO enforced, through the HTTP API and mailed links', () => {
  let id: string;
  let connection: { id: string; spEntityId: string; acsUrl: string; metadataUrl: string; status: string };

  it('starts in config_intake', async () => {
    const res = await env.api<{ id: string; stage: string }>('POST', '/api/onboardings', {
      customerName: 'Acme <Corp>',
      adminEmail,
      emailDomains: [domain],
      options: { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: true, batchSize: 2 },
    });
    expect(res.status).toBe(201);
    expect(res.body.stage).toBe('config_intake');
    id = res.body.id;
  });

  it('reports every problem of an invalid IdP configuration at once, and stays in config_intake', async () => {
    const res = await env.api<{ error: { code: string; details: { code: string }[] } }>('POST', `/api/onboardings/${id}/idp-config`, {
      entityId: 'https://idp.example.test',
      ssoUrl: 'ftp://idp.example.test/sso',
      ssoBinding: 'redirect',
      certificates: ['not a certificate'],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_idp_config');
    expect(res.body.error.details.length).toBeGreaterThanOrEqual(2);
    const detail = await env.api<{ stage: string; problems: unknown[] }>('GET', `/api/onboardings/${id}`);
    expect(detail.body.stage).toBe('config_intake');
    expect(detail.body.problems.length).toBeGreaterThanOrEqual(2);
  });

  it('accepts the corrected configuration as an IdP metadata document and mails the SP details', async () => {
    const res = await env.api<{ connection: typeof connection; warnings: unknown[] }>(
      'POST',
      `/api/onboardings/${id}/idp-config`,
      idp.metadataXml,
    );
    expect(res.status).toBe(200);
    connection = res.body.connection;
    expect(connection.acsUrl).toBe(`${env.baseUrl}/saml/${connection.id}/acs`);
    await idp.addServiceProvider({ entityId: connection.spEntityId, acsUrl: connection.acsUrl });
    // The second mail to the administrator: after the setup link at the start, the one that follows intake.
    const mail = await env.smtp.waitFor(
      (m) => m.to.includes(adminEmail) && m.text.includes(connection.acsUrl) && /configure your identity provider/.test(m.subject),
    );
    expect(mail.text).toContain(connection.spEntityId);
    // The TXT record that proves the domain is the customer's comes with the SP details.
    const [claim] = (await env.api<{ domains: { record: { name: string; value: string } }[] }>('GET', `/api/onboardings/${id}`)).body
      .domains;
    expect(claim?.record.name).toBe(`_sso-onboarding.${domain}`);
    expect(mail.text).toContain(`${claim?.record.name} with the value ${claim?.record.value}`);
    await env.waitForStage(id, 'pilot');
    expect(connection.status).toBe('draft');
  });

  it('enables the nominated pilot users, records their first SSO login, and needs both confirmations', async () => {
    const alice = people[0] as (typeof people)[number];
    // Not before the domain is verified: the connection is a draft until then.
    const early = await env.api<{ error: { code: string } }>('POST', `/api/onboardings/${id}/pilot-users`, { emails: [alice.email] });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('domain_unverified');
    await overrideDomains(env.api, id);
    expect((await env.api<{ connection: { status: string } }>('GET', `/api/onboardings/${id}`)).body.connection.status).toBe('active');
    const nominated = await env.api<{ users: { email: string }[]; unknownEmails: string[] }>('POST', `/api/onboardings/${id}/pilot-users`, {
      emails: [alice.email, `ghost@${domain}`],
    });
    expect(nominated.status).toBe(200);
    expect(nominated.body.users.map((u) => u.email)).toEqual([alice.email]);
    expect(nominated.body.unknownEmails).toEqual([`ghost@${domain}`]);

    expect((await ssoLogin(alice, connection.spEntityId)).status).toBe(303);
    const deadline = Date.now() + 10_000;
    let firstLoginAt: string | null = null;
    while (!firstLoginAt && Date.now() < deadline) {
      const detail = await env.api<{ pilot: { users: { firstLoginAt: string | null }[] } }>('GET', `/api/onboardings/${id}`);
      firstLoginAt = detail.body.pilot.users[0]?.firstLoginAt ?? null;
    }
    expect(firstLoginAt).toMatch(/^\d{4}-/);

    const link = linkIn(await approvalMail(/pilot/i), '/approvals/');
    const page = await fetch(link, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Nothing happens until you press a button');
    // Support confirms first, the customer second: either order completes the pilot.
    expect((await env.api('POST', `/api/onboardings/${id}/pilot/confirm`)).status).toBe(200);
    const approved = await decide(link, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain('Approved');
    const again = await decide(link, { decision: 'approve' });
    expect(again.status).toBe(410);
    expect(await again.text()).toMatch(/already used/);
    await env.waitForStage(id, 'migration_list');
  });

  let listId: string;
  let aliasSid: string;

  it('builds the migration list by domain with the alias flagged, and pages it', async () => {
    const res = await env.api<{ listId: string; version: number; total: number; flagged: number }>(
      'POST',
      `/api/onboardings/${id}/migration-list`,
      {
        method: 'domain',
        domain,
      },
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ version: 1, total: people.length + 1, flagged: 1 });
    listId = res.body.listId;
    const page1 = await env.api<{ items: { userSid: string; email: string; flags: string[] }[]; nextCursor: string | null }>(
      'GET',
      `/api/migration-lists/${listId}?limit=4`,
    );
    expect(page1.body.items).toHaveLength(4);
    expect(page1.body.nextCursor).toBe(page1.body.items[3]?.userSid);
    const page2 = await env.api<{ items: { userSid: string; email: string; flags: string[] }[]; nextCursor: string | null }>(
      'GET',
      `/api/migration-lists/${listId}?limit=4&cursor=${page1.body.nextCursor}`,
    );
    const all = [...page1.body.items, ...page2.body.items];
    expect(all).toHaveLength(people.length + 1);
    expect(page2.body.nextCursor).toBeNull();
    const flagged = all.filter((e) => e.flags.length > 0);
    expect(flagged.map((e) => e.email)).toEqual([alias.email]);
    expect(flagged[0]?.flags).toEqual(['possible_alias']);
    aliasSid = flagged[0]?.userSid as string;
  });

  it('takes a rejection with exclusions as the next version, a rebuild during its review, then an approval of the rebuild', async () => {
    const first = linkIn(await approvalMail(/migration list/i), '/approvals/');
    const page = await fetch(first, { headers: { accept: 'text/html' } });
    const [form] = parseForms(await page.text(), first);
    expect(form?.fields.filter((f) => f.name === 'exclude')).toHaveLength(people.length + 1);
    const rejected = await decide(first, { decision: 'reject', reason: 'sales@ is a shared mailbox, not a person', exclude: aliasSid });
    expect(rejected.status).toBe(200);

    const second = await env.smtp.waitFor(
      (m) => m.to.includes(adminEmail) && /migration list/i.test(m.subject) && !m.text.includes(first),
      20_000,
    );
    const secondLink = linkIn(second, '/approvals/');
    const detail = await env.api<{ migration: { version: number; excluded: number; total: number } }>('GET', `/api/onboardings/${id}`);
    expect(detail.body.migration).toMatchObject({ version: 2, excluded: 1 });
    // The superseded first link now says why it cannot be used.
    expect((await fetch(first, { headers: { accept: 'text/html' } })).status).toBe(410);

    // Support rebuilds the list while version 2 is under review: version 3 is the one decided.
    const rebuilt = await env.api<{ version: number }>('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain });
    expect(rebuilt.status).toBe(202);
    expect(rebuilt.body.version).toBe(3);
    const supersededPage = await fetch(secondLink, { headers: { accept: 'text/html' } });
    expect(supersededPage.status).toBe(410);
    expect(await supersededPage.text()).toContain('link_superseded');
    expect((await decide(secondLink, { decision: 'approve' })).status).toBe(410);
    const third = await env.smtp.waitFor(
      (m) => m.to.includes(adminEmail) && /migration list/i.test(m.subject) && !m.text.includes(first) && !m.text.includes(secondLink),
      20_000,
    );
    const thirdLink = linkIn(third, '/approvals/');
    expect(await (await fetch(thirdLink, { headers: { accept: 'text/html' } })).text()).toContain('Users on the list (version 3)');
    expect((await decide(thirdLink, { decision: 'approve', exclude: aliasSid })).status).toBe(200);
    const approved = await pollUntil(
      'version 3 approved',
      async () => {
        const detail = await env.api<{ migration: { version: number; excluded: number; status: string } }>('GET', `/api/onboardings/${id}`);
        return detail.body.migration?.status === 'approved' ? detail.body.migration : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(approved).toMatchObject({ version: 3, excluded: 1 });
  });

  it('enables the approved users in batches, notifies them and asks for the go-ahead', async () => {
    const atGoAhead = await env.waitForStage(id, 'awaiting_go_ahead');
    expect(atGoAhead.progress).toEqual({ enabled: people.length, enforced: 0, total: people.length });
    const bob = people[1] as (typeof people)[number];
    await env.smtp.waitFor((m) => m.to.includes(bob.email) && m.text.includes('/login'));
    const [excluded] = await database.db.select().from(users).where(eq(users.sid, aliasSid));
    expect(excluded?.ssoState).toBe('none');
    // Enabled, not enforced: the password still works.
    expect((await passwordLogin(bob.email)).status).toBe(303);
  });

  it('enforces SSO after the go-ahead and completes with a summary', async () => {
    const link = linkIn(await approvalMail(/go.ahead|enforce/i), '/approvals/');
    expect((await decide(link, { decision: 'approve' })).status).toBe(200);
    const done = await env.waitForStage(id, 'completed');
    expect(done.progress).toEqual({ enabled: people.length, enforced: people.length, total: people.length });
    expect(done.summary).toMatchObject({ stage: 'completed', counts: { enforced: people.length, excluded: 1 } });
    expect(done.pendingApprovals).toEqual([]);
    await recordHistory(`onboarding-${id}`, 'lifecycle-completed');
  });

  it('refuses the password of an enforced user with sso_required, and SSO works for them', async () => {
    const bob = people[1] as (typeof people)[number];
    const refused = await passwordLogin(bob.email);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: 'sso_required', details: { ssoUrl: `${env.baseUrl}/saml/${connection.id}/login` } },
    });
    expect((await ssoLogin(bob, connection.spEntityId)).status).toBe(303);
  });

  it('leaves one enforcement audit event per user and never stores a live approval link', async () => {
    const enforced = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.onboardingId, id), eq(auditEvents.type, 'user.sso_enforced')));
    expect(enforced).toHaveLength(people.length);
    expect(new Set(enforced.map((e) => e.userSid)).size).toBe(people.length);
    const stored = await database.db.select().from(mailOutbox).where(eq(mailOutbox.onboardingId, id));
    expect(stored.filter((m) => m.textBody.includes('/approvals/apr_'))).toEqual([]);
  });
});
