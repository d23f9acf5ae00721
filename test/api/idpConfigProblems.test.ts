// Every problem of an IdP configuration at once (issue #11, item 3): a body the request schema refuses
// is answered with the schema's problems and what the validation finds in the other fields, in one
// 422 invalid_idp_config, so an empty entity ID no longer hides an ftp:// SSO URL and a garbage certificate.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../support/deps.js';
import { type OnboardingTestEnv, startOnboardingEnv } from '../support/onboarding-env.js';

const database = testDatabase();
let env: OnboardingTestEnv;
let id: string;

beforeAll(async () => {
  env = await startOnboardingEnv(database);
  const domain = `idp-${randomBytes(3).toString('hex')}.test`;
  const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
    customerName: 'Problems Co',
    adminEmail: `admin@${domain}`,
    emailDomains: [domain],
  });
  id = started.body.id;
});
afterAll(async () => {
  await env?.close();
  await database.close();
});

type Refusal = { error: { code: string; details: { field: string; code: string; message: string }[] } };
const submit = (body: unknown) => env.api<Refusal>('POST', `/api/onboardings/${id}/idp-config`, body);
const fieldsOf = (body: Refusal) => body.error.details.map((d) => `${d.field}:${d.code}`).sort();

describe('an IdP configuration with problems of both kinds', () => {
  it('names the empty entity ID, the ftp:// SSO URL and the garbage certificate in one 422', async () => {
    const res = await submit({ entityId: '', ssoUrl: 'ftp://idp.example.test/sso', ssoBinding: 'redirect', certificates: ['garbage'] });

    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_idp_config');
    const fields = fieldsOf(res.body);
    expect(fields).toContain('entityId:invalid_field');
    expect(fields.some((f) => f.startsWith('ssoUrl:'))).toBe(true);
    expect(fields).toContain('certificates[0]:certificate_unparseable');
  });

  it('names a field of the wrong type and an unknown field along with the others, each once', async () => {
    const res = await submit({
      entityId: 42,
      ssoUrl: 'ftp://idp.example.test/sso',
      ssoBinding: 'artifact',
      certificates: ['garbage'],
      extra: 1,
    });

    expect(res.status).toBe(422);
    const fields = fieldsOf(res.body);
    expect(fields.filter((f) => f.startsWith('entityId:'))).toEqual(['entityId:invalid_field']);
    expect(fields.filter((f) => f.startsWith('ssoBinding:'))).toEqual(['ssoBinding:invalid_field']);
    expect(fields).toContain('body:invalid_field');
    expect(fields.some((f) => f.startsWith('ssoUrl:'))).toBe(true);
    expect(fields).toContain('certificates[0]:certificate_unparseable');
  });

  it('leaves the onboarding in config_intake', async () => {
    const detail = await env.api<{ stage: string }>('GET', `/api/onboardings/${id}`);
    expect(detail.body.stage).toBe('config_intake');
  });
});
