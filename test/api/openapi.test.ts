import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { OpenApiDocument } from '../../api/openapi.js';
import type * as responses from '../../api/responses.js';
import type { auditEventsPage } from '../../domain/auditLog.js';
import type { createAccount, createUser, getUser, lookUpUsers, setUserSsoState } from '../../domain/directory.js';
import type { migrationListEntriesAfter } from '../../domain/migrationListPages.js';
import type {
  buildMigrationListFor,
  cancelOnboardingFor,
  confirmPilotFor,
  nominatePilotUsersFor,
  startOnboarding,
  submitIdpConfigFor,
} from '../../domain/onboardingCommands.js';
import type { listOnboardings } from '../../domain/onboardings.js';
import type { getOnboarding } from '../../domain/onboardingView.js';
import { testDatabase } from '../support/deps.js';
import { type SimpleSamlIdp, startSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { type OnboardingTestEnv, startOnboardingEnv } from '../support/onboarding-env.js';
import { type Method, openApiChecks } from '../support/openapi.js';
import { extractLinks } from '../support/smtp.js';

const database = testDatabase();
let env: OnboardingTestEnv;
let document: OpenApiDocument;
let checks: ReturnType<typeof openApiChecks>;

beforeAll(async () => {
  env = await startOnboardingEnv(database);
  const res = await fetch(`${env.baseUrl}/api/openapi.json`);
  expect(res.status).toBe(200);
  document = (await res.json()) as OpenApiDocument;
  checks = openApiChecks(document);
});
afterAll(async () => {
  await env?.close();
  await database.close();
});

const operation = (method: Method, path: string) => checks.operation(method, path);
const requestBodyValidator = (method: Method, path: string) => checks.requestBodyValidator(method, path);
const expectDocumentedResponse = (method: Method, path: string, res: { status: number; body: unknown }) =>
  checks.expectDocumentedResponse(method, path, res);

const unique = () => randomBytes(4).toString('hex');
const unknownOnboarding = '/api/onboardings/ob_000000000000000000000000';
const unknownConnection = 'conn_000000000000000000000000';
const unknownUserSid = `US${'0'.repeat(32)}`;

describe('the OpenAPI document', () => {
  it('is served without a support token as an OpenAPI 3.1 document with paths, schemas and bearer auth', async () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.title).toBeTruthy();
    expect(Object.keys(document.paths).length).toBeGreaterThan(10);
    expect(document.components.securitySchemes.supportToken).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(document.security).toEqual([{ supportToken: [] }]);
    expect(document.servers).toEqual([{ url: env.baseUrl }]);
  });

  it('refers only to schemas it defines', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]*"/g) ?? [];
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      const name = /#\/components\/schemas\/([^"]+)"$/.exec(ref)?.[1];
      expect(name && document.components.schemas[name], ref).toBeTruthy();
    }
  });

  it('gives every operation a success response and errors in the contract shape', () => {
    const errorShape = document.components.schemas.Error as { properties: { error: { required: string[] } } };
    expect(errorShape.properties.error.required).toEqual(['code', 'message', 'traceId']);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses);
        expect(
          statuses.some((s) => s.startsWith('2')),
          `${method} ${path}`,
        ).toBe(true);
        for (const status of statuses.filter((s) => /^[45]/.test(s))) {
          expect(op.responses[status]?.content?.['application/json']?.schema, `${method} ${path} ${status}`).toEqual({
            $ref: '#/components/schemas/Error',
          });
        }
      }
    }
  });

  it('asks for the support token everywhere except /api/me (session cookie) and the document itself', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const op of Object.values(item)) {
        if (path === '/api/me') expect(op.security).toEqual([{ sessionCookie: [] }]);
        else if (path === '/api/openapi.json') expect(op.security).toEqual([]);
        else expect(op.security, path).toBeUndefined();
      }
    }
  });

  it('takes an IdP metadata document as application/samlmetadata+xml, or either JSON form', () => {
    const content = operation('post', '/api/onboardings/{id}/idp-config').requestBody?.content ?? {};
    expect(Object.keys(content)).toEqual(expect.arrayContaining(['application/samlmetadata+xml', 'text/xml', 'application/json']));
    expect(document.components.schemas.IdpConfigJsonRequest).toMatchObject({
      anyOf: [{ $ref: '#/components/schemas/IdpConfigUrlRequest' }, { $ref: '#/components/schemas/IdpConfigFieldsRequest' }],
    });
  });
});

// Bodies on both sides of each documented rule: whatever the document refuses, the API refuses with a 400,
// and whatever it accepts gets past validation (to 2xx, or 404 for an unknown onboarding or user).
const bodyCases: { method: Method; template: string; path: string; bodies: unknown[] }[] = [
  {
    method: 'post',
    template: '/api/accounts',
    path: '/api/accounts',
    bodies: [{ name: 'Acme' }, {}, { name: '' }, { name: 'x'.repeat(201) }, { name: 7 }, { name: 'Acme', plan: 'gold' }],
  },
  {
    method: 'post',
    template: '/api/users',
    path: '/api/users',
    bodies: [
      { email: `doc-${unique()}@acme.test` },
      { email: `doc-${unique()}@acme.test`, password: 'long enough', accountSids: [] },
      { email: `doc-${unique()}@acme.test`, accountSids: [`AC${'0'.repeat(32)}`] },
      { email: 'not an email' },
      { email: `doc-${unique()}@acme.test`, password: 'short' },
      { email: `doc-${unique()}@acme.test`, accountSids: ['AC123'] },
      { password: 'long enough' },
    ],
  },
  {
    method: 'put',
    template: '/api/users/{sid}/sso',
    path: `/api/users/${unknownUserSid}/sso`,
    bodies: [
      { state: 'none' },
      { state: 'enforced', connectionId: 'conn', reason: 'break-glass' },
      { state: 'sometimes' },
      {},
      { state: 'none', by: 'me' },
    ],
  },
  {
    method: 'post',
    template: '/api/onboardings',
    path: '/api/onboardings',
    bodies: [
      { customerName: 'Doc Corp', adminEmail: 'it@doc.test', emailDomains: ['Doc.TEST'], options: { reminderEvery: 'PT1H', batchSize: 3 } },
      { customerName: 'Doc Corp', adminEmail: 'it@doc.test', emailDomains: [] },
      { customerName: 'Doc Corp', adminEmail: 'it@doc.test', emailDomains: ['not a domain'] },
      { customerName: 'Doc Corp', adminEmail: 'nobody', emailDomains: ['doc.test'] },
      { customerName: 'Doc Corp', adminEmail: 'it@doc.test', emailDomains: ['doc.test'], options: { reminderEvery: 'P1M' } },
      { customerName: 'Doc Corp', adminEmail: 'it@doc.test', emailDomains: ['doc.test'], options: { batchSize: 0 } },
      { customerName: 'Doc Corp', adminEmail: 'it@doc.test', emailDomains: ['doc.test'], options: { notify: false } },
      { customerName: 'Doc Corp', adminEmail: 'it@doc.test', emailDomains: ['doc.test'], customerId: 'has spaces' },
    ],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/idp-config',
    path: `${unknownOnboarding}/idp-config`,
    bodies: [
      { metadataUrl: 'https://idp.example.test/metadata', emailAttribute: 'mail' },
      { entityId: 'https://idp.example.test', ssoUrl: 'https://idp.example.test/sso', ssoBinding: 'post', certificates: ['MIIB'] },
      { entityId: 'https://idp.example.test', ssoUrl: 'https://idp.example.test/sso', ssoBinding: 'artifact', certificates: ['MIIB'] },
      { entityId: 'https://idp.example.test', ssoUrl: 'https://idp.example.test/sso', ssoBinding: 'post', certificates: [] },
      { metadataUrl: 'https://idp.example.test/metadata', entityId: 'https://idp.example.test' },
      { metadataUrl: 'https://idp.example.test/metadata', emailAttribute: 'has space' },
      {},
    ],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/pilot-users',
    path: `${unknownOnboarding}/pilot-users`,
    bodies: [{ emails: ['alice@doc.test'] }, { emails: [] }, { emails: ['alice'] }, { users: ['alice@doc.test'] }],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/migration-list',
    path: `${unknownOnboarding}/migration-list`,
    bodies: [
      { method: 'domain', domain: 'doc.test' },
      { method: 'userSids', userSids: [unknownUserSid] },
      { method: 'accountSids', accountSids: [`AC${'0'.repeat(32)}`] },
      { method: 'domain' },
      { method: 'emails', emails: ['alice@doc.test'] },
      { method: 'accountSids', accountSids: [unknownUserSid] },
      { method: 'userSids', userSids: [] },
    ],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/cancel',
    path: `${unknownOnboarding}/cancel`,
    bodies: [
      { reason: 'customer asked' },
      { reason: 'customer asked', revertTo: 'none' },
      { reason: '' },
      {},
      { reason: 'x', revertTo: 'maybe' },
    ],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/pilot-users/remove',
    path: `${unknownOnboarding}/pilot-users/remove`,
    bodies: [
      { userSids: [unknownUserSid], reason: 'left the company' },
      { userSids: [], reason: 'x' },
      { userSids: ['bob'], reason: 'x' },
      { userSids: [unknownUserSid] },
    ],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/approvals/{step}/resend',
    path: `${unknownOnboarding}/approvals/pilot/resend`,
    bodies: [{ reason: 'the mail went to spam' }, { reason: '' }, {}, { reason: 'x', step: 'pilot' }],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/setup-link',
    path: `${unknownOnboarding}/setup-link`,
    bodies: [{ reason: 'the first link went to the wrong person' }, { reason: '' }, {}, { reason: 'x', url: 'https://x.test' }],
  },
  {
    method: 'post',
    template: '/api/onboardings/{id}/domains/{domain}/override',
    path: `${unknownOnboarding}/domains/doc.test/override`,
    bodies: [{ reason: 'checked with the customer by phone' }, { reason: '' }, {}, { reason: 'x', domain: 'doc.test' }],
  },
  {
    method: 'patch',
    template: '/api/connections/{id}',
    path: `/api/connections/${unknownConnection}`,
    bodies: [
      { ssoUrl: 'https://idp.example.test/sso', reason: 'moved' },
      { emailAttribute: null, logoutRedirectUrl: null, reason: 'back to the NameID' },
      { ssoBinding: 'artifact', reason: 'x' },
      { ssoUrl: 'https://idp.example.test/sso' },
      { entityId: 'https://idp.example.test', reason: 'x' },
    ],
  },
  {
    method: 'post',
    template: '/api/connections/{id}/certificates',
    path: `/api/connections/${unknownConnection}/certificates`,
    bodies: [{ certificate: 'MIIB', reason: 'rotation' }, { certificate: '', reason: 'x' }, { certificate: 'MIIB' }, {}],
  },
  {
    method: 'delete',
    template: '/api/connections/{id}/certificates/{fingerprintSha256}',
    path: `/api/connections/${unknownConnection}/certificates/${'a'.repeat(64)}`,
    bodies: [{ reason: 'rotated' }, { reason: '' }, {}],
  },
  {
    method: 'post',
    template: '/api/connections/{id}/disable',
    path: `/api/connections/${unknownConnection}/disable`,
    bodies: [{ reason: 'offboarded' }, { reason: '' }, {}, { reason: 'x', force: true }],
  },
  {
    method: 'post',
    template: '/api/connections/{id}/enable',
    path: `/api/connections/${unknownConnection}/enable`,
    bodies: [{ reason: 'back' }, {}, { reason: 'x', status: 'active' }],
  },
  {
    method: 'post',
    template: '/api/users/{sid}/release',
    path: `/api/users/${unknownUserSid}/release`,
    bodies: [{ reason: 'moved to the new company' }, { reason: '' }, {}, { reason: 'x', state: 'none' }],
  },
];

describe('request bodies: the document and the API agree on what is valid', () => {
  it('has samples for every JSON request body in the document', () => {
    const withBodies = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => op.requestBody?.content['application/json'])
        .map(([method]) => `${method} ${path}`),
    );
    expect(withBodies.sort()).toEqual(bodyCases.map((c) => `${c.method} ${c.template}`).sort());
  });

  for (const { method, template, path, bodies } of bodyCases) {
    it(`${method.toUpperCase()} ${template}`, async () => {
      const validate = requestBodyValidator(method, template);
      const verdicts = bodies.map((body) => validate(body));
      expect(verdicts, 'the samples should include bodies the document accepts and refuses').toContain(true);
      expect(verdicts).toContain(false);
      for (const [index, body] of bodies.entries()) {
        const res = await env.api<{ error?: { code: string } }>(method.toUpperCase(), path, body);
        const sample = `${JSON.stringify(body)} (the document says ${verdicts[index] ? 'valid' : 'invalid'})`;
        // idp-config answers every problem of a configuration in one 422 (the contract), the schema's included.
        // A change of a user's SSO state without a reason is named as such (the contract's reason_required).
        const noReason = template === '/api/users/{sid}/sso' && !(body as { reason?: string }).reason;
        const refusal = template.endsWith('/idp-config')
          ? [422, 'invalid_idp_config']
          : noReason
            ? [400, 'reason_required']
            : [400, 'invalid_request'];
        if (verdicts[index]) expect(res.status, sample).not.toBe(refusal[0]);
        else expect([res.status, res.body.error?.code], sample).toEqual(refusal);
        expectDocumentedResponse(method, template, res);
      }
    });
  }
});

type Returned<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;
type Documented<S extends z.ZodType> = z.input<S>;

describe('responses: what the API sends matches the documented schemas', () => {
  it('describes what the domain functions behind the routes return (checked by tsc)', () => {
    expectTypeOf<Returned<typeof createAccount>>().toExtend<Documented<typeof responses.accountCreatedResponse>>();
    expectTypeOf<Returned<typeof createUser>>().toExtend<Documented<typeof responses.userCreatedResponse>>();
    expectTypeOf<Returned<typeof getUser>>().toExtend<Documented<typeof responses.userResponse>>();
    expectTypeOf<Returned<typeof setUserSsoState>>().toExtend<Documented<typeof responses.userResponse>>();
    expectTypeOf<{ items: Returned<typeof lookUpUsers> }>().toExtend<Documented<typeof responses.userLookupResponse>>();
    expectTypeOf<Returned<typeof auditEventsPage>>().toExtend<Documented<typeof responses.auditEventsResponse>>();
    expectTypeOf<Returned<typeof startOnboarding>>().toExtend<Documented<typeof responses.onboardingStartedResponse>>();
    expectTypeOf<{ items: Returned<typeof listOnboardings> }>().toExtend<Documented<typeof responses.onboardingListResponse>>();
    expectTypeOf<Returned<typeof getOnboarding>>().toExtend<Documented<typeof responses.onboardingResponse>>();
    expectTypeOf<Returned<typeof submitIdpConfigFor>>().toExtend<Documented<typeof responses.idpConfigAcceptedResponse>>();
    expectTypeOf<Returned<typeof nominatePilotUsersFor>>().toExtend<Documented<typeof responses.pilotResponse>>();
    expectTypeOf<Returned<typeof confirmPilotFor>>().toExtend<Documented<typeof responses.pilotResponse>>();
    expectTypeOf<Returned<typeof buildMigrationListFor>>().toExtend<Documented<typeof responses.migrationSchema>>();
    expectTypeOf<Returned<typeof migrationListEntriesAfter>>().toExtend<Documented<typeof responses.migrationListPageResponse>>();
    expectTypeOf<Returned<typeof cancelOnboardingFor>>().toExtend<Documented<typeof responses.cancelledResponse>>();
  });

  let idp: SimpleSamlIdp;
  beforeAll(async () => {
    idp = await startSimpleSamlIdp({ sp: [], users: [{ username: 'doc', password: 'doc-idp', email: 'doc@doc.test' }] });
  });
  afterAll(async () => {
    await idp?.stop();
  });

  it('for accounts and users', async () => {
    const account = await env.api<{ sid: string }>('POST', '/api/accounts', { name: 'Doc Accounts' });
    expectDocumentedResponse('post', '/api/accounts', account);
    const user = await env.api<{ sid: string }>('POST', '/api/users', {
      email: `resp-${unique()}@acme.test`,
      accountSids: [account.body.sid],
    });
    expectDocumentedResponse('post', '/api/users', user);
    expectDocumentedResponse('get', '/api/users/{sid}', await env.api('GET', `/api/users/${user.body.sid}`));
    expectDocumentedResponse('get', '/api/users/{sid}', await env.api('GET', '/api/users/nope'));
    expectDocumentedResponse(
      'put',
      '/api/users/{sid}/sso',
      await env.api('PUT', `/api/users/${user.body.sid}/sso`, { state: 'none', reason: 'doc' }),
    );
    expectDocumentedResponse('get', '/api/users', await env.api('GET', `/api/users?sid=${user.body.sid}`));
    expectDocumentedResponse('get', '/api/users', await env.api('GET', '/api/users?email=nobody@acme.test'));
    expectDocumentedResponse('get', '/api/users', await env.api('GET', '/api/users'));
    expectDocumentedResponse('get', '/api/audit-events', await env.api('GET', `/api/audit-events?userSid=${user.body.sid}&limit=1`));
    expectDocumentedResponse('get', '/api/audit-events', await env.api('GET', '/api/audit-events?cursor=forged'));
    const unauthorized = await env.api('GET', `/api/users/${user.body.sid}`, undefined, { authorization: 'Bearer wrong' });
    expect(unauthorized.status).toBe(401);
    expectDocumentedResponse('get', '/api/users/{sid}', unauthorized);
  });

  it('for /api/me without a session', async () => {
    const res = await fetch(`${env.baseUrl}/api/me`);
    expectDocumentedResponse('get', '/api/me', { status: res.status, body: await res.json() });
  });

  it('along an onboarding: start, list, detail, IdP config, pilot, migration list and its pages', async () => {
    const domain = `doc-${unique()}.test`;
    const adminEmail = `it@${domain}`;
    const alice = await env.api<{ sid: string }>('POST', '/api/users', { email: `alice@${domain}` });
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: 'Doc Flow',
      adminEmail,
      emailDomains: [domain],
    });
    expectDocumentedResponse('post', '/api/onboardings', started);
    const id = started.body.id;
    expectDocumentedResponse('get', '/api/onboardings', await env.api('GET', '/api/onboardings'));
    expectDocumentedResponse('get', '/api/onboardings/{id}', await env.api('GET', `/api/onboardings/${id}`));
    expectDocumentedResponse('get', '/api/onboardings/{id}', await env.api('GET', unknownOnboarding));

    const refused = await env.api('POST', `/api/onboardings/${id}/idp-config`, {
      entityId: 'https://idp.example.test',
      ssoUrl: 'ftp://idp.example.test/sso',
      ssoBinding: 'redirect',
      certificates: ['not a certificate'],
    });
    expect(refused.status).toBe(422);
    expectDocumentedResponse('post', '/api/onboardings/{id}/idp-config', refused);
    const accepted = await env.api('POST', `/api/onboardings/${id}/idp-config`, idp.metadataXml);
    expect(accepted.status).toBe(200);
    expectDocumentedResponse('post', '/api/onboardings/{id}/idp-config', accepted);
    await env.waitForStage(id, 'pilot');

    expectDocumentedResponse('post', '/api/onboardings/{id}/pilot/confirm', await env.api('POST', `/api/onboardings/${id}/pilot/confirm`));
    expectDocumentedResponse(
      'post',
      '/api/onboardings/{id}/domains/verify',
      await env.api('POST', `/api/onboardings/${id}/domains/verify`),
    );
    const overridden = await env.api('POST', `/api/onboardings/${id}/domains/${domain}/override`, { reason: 'checked by phone' });
    expect(overridden.status).toBe(200);
    expectDocumentedResponse('post', '/api/onboardings/{id}/domains/{domain}/override', overridden);
    const nominated = await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`alice@${domain}`, `ghost@${domain}`] });
    expectDocumentedResponse('post', '/api/onboardings/{id}/pilot-users', nominated);
    expectDocumentedResponse('post', '/api/onboardings/{id}/pilot/confirm', await env.api('POST', `/api/onboardings/${id}/pilot/confirm`));
    const mail = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && m.text.includes('/approvals/'), 20_000);
    const link = extractLinks(mail).find((l) => l.includes('/approvals/')) as string;
    expect((await fetch(link, { method: 'POST', body: new URLSearchParams({ decision: 'approve' }) })).status).toBe(200);
    await env.waitForStage(id, 'migration_list');

    const list = await env.api<{ listId: string }>('POST', `/api/onboardings/${id}/migration-list`, {
      method: 'userSids',
      userSids: [alice.body.sid],
    });
    expect(list.status).toBe(202);
    expectDocumentedResponse('post', '/api/onboardings/{id}/migration-list', list);
    expectDocumentedResponse(
      'get',
      '/api/migration-lists/{listId}',
      await env.api('GET', `/api/migration-lists/${list.body.listId}?limit=1`),
    );
    expectDocumentedResponse(
      'get',
      '/api/migration-lists/{listId}',
      await env.api('GET', `/api/migration-lists/${list.body.listId}?limit=0`),
    );
    expectDocumentedResponse('get', '/api/onboardings/{id}', await env.api('GET', `/api/onboardings/${id}`));

    const cancelled = await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'documentation run' });
    expect(cancelled.status).toBe(200);
    expectDocumentedResponse('post', '/api/onboardings/{id}/cancel', cancelled);
    const again = await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'twice' });
    expect(again.status).toBe(409);
    expectDocumentedResponse('post', '/api/onboardings/{id}/cancel', again);
    expectDocumentedResponse(
      'get',
      '/api/onboardings/{id}',
      await env.waitForStage(id, 'cancelled').then((body) => ({ status: 200, body })),
    );
  });
});
