// A test sign-in through a real IdP (issue #14, item 4): the administrator starts it from the setup page,
// SimpleSAMLphp answers at our ACS, and the ACS answers with a diagnosis instead of a session. Once as
// SimpleSAMLphp signs by default (the Response: it passes), once signing only the assertion (Entra's, AD FS's
// and Google's default: it fails, saying what to change). The report is stored and listed by the API.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../domain/directory.js';
import { loginAtIdp } from '../support/idp/browserless.js';
import { type SimpleSamlIdp, useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';

const { database, env } = useOnboardingEnv();
const domain = `test-sign-in-${randomBytes(4).toString('hex')}.test`;
const user = { username: 'grace', password: 'grace-at-idp', email: `grace@${domain}` };
const signsResponse = useSimpleSamlIdp({ sp: [], users: [user] });
const signsAssertionOnly = useSimpleSamlIdp({
  sp: [],
  users: [{ ...user, email: `grace@second-${domain}` }],
  signResponse: false,
  signAssertion: true,
});

interface Report {
  passed: boolean;
  vendor: string;
  signed: string;
  email: string | null;
  emailMatchesUser: boolean;
  checks: { code: string; passed: boolean; detail: string; fix?: string }[];
}

/** An onboarding whose IdP details came through its setup link; returns the link and the connection. */
async function setUp(idp: SimpleSamlIdp, emailDomain: string) {
  const started = await env.api<{ id: string; connection: { id: string; spEntityId: string; acsUrl: string } }>(
    'POST',
    '/api/onboardings',
    {
      customerName: `Test sign-in ${emailDomain}`,
      adminEmail: `admin@${emailDomain}`,
      emailDomains: [emailDomain],
      options: { notifyUsers: false },
    },
  );
  expect(started.status).toBe(201);
  // The application created in the IdP from the SP details, before the IdP's details come back to us.
  await idp.addServiceProvider({ entityId: started.body.connection.spEntityId, acsUrl: started.body.connection.acsUrl });
  const { setupUrl } = (await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.body.id}`)).body;
  const given = await fetch(`${setupUrl}/idp-config`, {
    method: 'POST',
    headers: { 'content-type': 'application/samlmetadata+xml', accept: 'application/json' },
    body: idp.metadataXml,
  });
  expect(given.status, await given.clone().text()).toBe(200);
  return { setupUrl, connectionId: started.body.connection.id };
}

/** Starts the test from the setup page and signs in at the IdP; returns the ACS's answer. */
async function testSignIn(setupUrl: string, username: string, password: string) {
  const started = await fetch(`${setupUrl}/test`, { method: 'POST', redirect: 'manual', headers: { origin: new URL(env.baseUrl).origin } });
  expect(started.status).toBe(303);
  const toIdp = started.headers.get('location') as string;
  expect(toIdp).toContain('SAMLRequest=');
  const answer = await loginAtIdp(toIdp, username, password);
  const acs = await fetch(answer.acsUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ SAMLResponse: answer.samlResponse }),
  });
  return {
    status: acs.status,
    cookie: acs.headers.get('set-cookie'),
    page: await acs.text(),
    samlResponse: answer.samlResponse,
    acsUrl: answer.acsUrl,
  };
}

beforeAll(async () => {
  await createUser(database.db, { email: user.email });
  await createUser(database.db, { email: `grace@second-${domain}` });
});

describe('a test sign-in through SimpleSAMLphp', () => {
  it('passes when the IdP signs the Response, shows the report and makes no session', async () => {
    const { setupUrl, connectionId } = await setUp(signsResponse, domain);
    const answer = await testSignIn(setupUrl, user.username, user.password);
    expect(answer.status).toBe(200);
    expect(answer.cookie ?? '').not.toContain('session');
    expect(answer.page).toContain('data-test-report data-passed="true"');
    expect(answer.page).toContain('The test sign-in passed');
    const sessions = await database.sql`select 1 from sessions s join users u on u.sid = s.user_sid where u.email = ${user.email}`;
    expect(sessions).toHaveLength(0);
    const { body } = await env.api<{ items: Report[] }>('GET', `/api/connections/${connectionId}/tests`);
    expect(body.items[0]).toMatchObject({ passed: true, signed: 'response', email: user.email, emailMatchesUser: true });
    expect(body.items[0]?.checks.every((c) => c.passed)).toBe(true);
    // The setup page shows it too.
    expect(await (await fetch(setupUrl)).text()).toContain('The test sign-in passed');
    // The test's request is used up: the same response again is an ordinary (refused) login, still no session.
    const again = await fetch(answer.acsUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ SAMLResponse: answer.samlResponse }),
    });
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie') ?? '').not.toContain('session');
  });

  it('fails when only the assertion is signed, naming what to change, without stopping at that check', async () => {
    const { setupUrl, connectionId } = await setUp(signsAssertionOnly, `second-${domain}`);
    const answer = await testSignIn(setupUrl, user.username, user.password);
    expect(answer.status).toBe(200);
    expect(answer.page).toContain('data-test-report data-passed="false"');
    expect(answer.page).toMatch(/data-fix="response_signed"/);
    const { body } = await env.api<{ items: Report[] }>('GET', `/api/connections/${connectionId}/tests`);
    const report = body.items[0] as Report;
    expect(report).toMatchObject({ passed: false, signed: 'assertion', emailMatchesUser: true });
    const failed = report.checks.filter((c) => !c.passed).map((c) => c.code);
    expect(failed).toEqual(['response_signed']);
    expect(report.checks.find((c) => c.code === 'response_signed')?.fix).toMatch(/sign/i);
    // Every other check ran and passed: the email was read, the user found.
    expect(report.checks.map((c) => c.code)).toContain('user_on_file');
    const audit = await database.sql<{ reason_code: string }[]>`
      select reason_code from audit_events where connection_id = ${connectionId} and type = 'connection.test_sign_in'`;
    expect(audit.map((a) => a.reason_code)).toEqual(['response_signed']);
  });
});
