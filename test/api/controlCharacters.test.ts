// NUL and the other C0 controls are refused at the edge, in every text field of the API, the forms,
// paths and query strings: a 400 naming the problem, never a 500 (PostgreSQL refuses NUL in text) and
// never a value that reaches an activity. Free text (reasons) may keep tab and line breaks.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../support/deps.js';
import { type OnboardingTestEnv, startOnboardingEnv } from '../support/onboarding-env.js';

const database = testDatabase();
let env: OnboardingTestEnv;
let onboardingId: string;
const domain = `ctl-${randomBytes(3).toString('hex')}.test`;
const unknownSid = `US${'0'.repeat(32)}`;

beforeAll(async () => {
  env = await startOnboardingEnv(database);
  const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
    customerName: 'Control Co',
    adminEmail: `admin@${domain}`,
    emailDomains: [domain],
  });
  expect(started.status).toBe(201);
  onboardingId = started.body.id;
});
afterAll(async () => {
  await env?.close();
  await database.close();
});

type Answer = { status: number; body: { error?: { code: string; message: string } } };

function expectRefused(answer: Answer, what: RegExp | string = 'control character') {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.error?.message).toMatch(what);
}

const controls = ['\u0000', '\u0001', '\u0007', '\u001b', '\u007f'];

describe('JSON bodies of the support API', () => {
  const cases: [string, string, string, (c: string) => unknown][] = [
    [
      'customer name',
      'POST',
      '/api/onboardings',
      (c) => ({ customerName: `Acme${c}`, adminEmail: `a@${domain}`, emailDomains: [`x-${domain}`] }),
    ],
    [
      'email domain',
      'POST',
      '/api/onboardings',
      (c) => ({ customerName: 'Acme', adminEmail: `a@${domain}`, emailDomains: [`x${c}.test`] }),
    ],
    ['user email', 'POST', '/api/users', (c) => ({ email: `a${c}b@${domain}` })],
    ['password', 'POST', '/api/users', (c) => ({ email: `pw-${randomBytes(3).toString('hex')}@${domain}`, password: `long enough${c}` })],
    ['sso reason', 'PUT', `/api/users/${unknownSid}/sso`, (c) => ({ state: 'none', reason: `why${c}` })],
    ['release reason', 'POST', `/api/users/${unknownSid}/release`, (c) => ({ reason: `why${c}` })],
    ['cancel reason', 'POST', '/api/onboardings/{id}/cancel', (c) => ({ reason: `why${c}` })],
    ['override reason', 'POST', `/api/onboardings/{id}/domains/${domain}/override`, (c) => ({ reason: `why${c}` })],
    [
      'IdP entity ID',
      'POST',
      '/api/onboardings/{id}/idp-config',
      (c) => ({ entityId: `https://idp${c}.test`, ssoUrl: 'https://127.0.0.1/sso', ssoBinding: 'post', certificates: ['MIIB'] }),
    ],
    ['metadata URL', 'POST', '/api/onboardings/{id}/idp-config', (c) => ({ metadataUrl: `https://idp.test/${c}` })],
    ['pilot email', 'POST', '/api/onboardings/{id}/pilot-users', (c) => ({ emails: [`a${c}@${domain}`] })],
    ['list domain', 'POST', '/api/onboardings/{id}/migration-list', (c) => ({ method: 'domain', domain: `${domain}${c}` })],
  ];
  for (const [field, method, path, body] of cases) {
    it(`refuses a control character in the ${field}`, async () => {
      for (const c of controls) {
        const answer = await env.api<Answer['body']>(method, path.replace('{id}', onboardingId), body(c));
        // idp-config answers every problem of a configuration in one 422 (the contract), this one among them.
        if (path.endsWith('/idp-config')) {
          expect([answer.status, answer.body.error?.code]).toEqual([422, 'invalid_idp_config']);
          expect(answer.body.error?.message).toContain('control character');
        } else expectRefused(answer);
      }
    });
  }

  it('lets a reason keep tab and line breaks', async () => {
    const answer = await env.api('POST', `/api/users/${unknownSid}/release`, { reason: 'moved:\tsee ticket\r\n#123' });
    expect(answer.status).toBe(404);
  });

  it('refuses a control character in a metadata document other than tab and line breaks', async () => {
    const xml = '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.test">\u0000</EntityDescriptor>';
    expectRefused(await env.api('POST', `/api/onboardings/${onboardingId}/idp-config`, xml));
  });
});

describe('paths and query strings', () => {
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${env.baseUrl}${path}`, {
      redirect: 'manual',
      headers: { authorization: `Bearer ${'x'}`, accept: 'application/json', ...headers },
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };

  it.each([
    '/api/onboardings/ob_%00',
    `/api/users/${unknownSid}%00`,
    '/api/migration-lists/ml_1?cursor=%00',
    `/sso?email=a%00@${domain}`,
    `/sso?email=a%0a@${domain}`,
    '/approvals/apr_1.x%1f',
    '/saml/conn_1/login?RelayState=%2Fconsole%7F',
    '/support/onboardings/ob_1?page=%01',
    '/login?next=%1b',
  ])('refuses %s with 400 control_characters, before anything reads it', async (path) => {
    const answer = await get(path);
    expectRefused(answer);
    expect(answer.body.error?.code).toBe('control_characters');
  });
});

describe('forms', () => {
  const postForm = async (path: string, fields: Record<string, string>) => {
    const res = await fetch(`${env.baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams(fields),
      headers: { origin: env.baseUrl, accept: 'text/html' },
    });
    return { status: res.status, text: await res.text() };
  };

  it('answers a sign-in form with a control character with the form again, 400', async () => {
    for (const c of controls) {
      expect((await postForm('/login', { email: `a${c}@${domain}`, password: 'x' })).status).toBe(400);
      expect((await postForm('/login/continue', { email: `a${c}@${domain}` })).status).toBe(400);
    }
  });
});
