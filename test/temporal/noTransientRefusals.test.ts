// No refusal that depends on timing: once an answer says a step is done, the next step is accepted at
// once, whatever stage the workflow's main line is passing through on its way (issue #11, item 4).
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { approvalLinkFromMail, createDomainUsers, overrideDomains, postApproval } from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';

const { database, env } = useOnboardingEnv();
let certificatePem: string;

beforeAll(async () => {
  certificatePem = (await generateSelfSignedCertificate({ commonName: 'idp.race.test' })).certificatePem;
});

async function configured(domain: string) {
  await createDomainUsers(database, domain, 2);
  const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
    customerName: `Race ${domain}`,
    adminEmail: `admin@${domain}`,
    emailDomains: [domain],
    options: { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: false },
  });
  const { id } = started.body;
  await overrideDomains(env.api, id);
  const accepted = await env.api('POST', `/api/onboardings/${id}/idp-config`, {
    entityId: `https://idp.${domain}/metadata`,
    ssoUrl: 'https://127.0.0.1/sso',
    ssoBinding: 'redirect',
    certificates: [certificatePem],
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  return id;
}

describe('the step after an accepted one', () => {
  it('nominates and confirms pilot users the moment idp-config answers 200', async () => {
    for (let round = 0; round < 4; round++) {
      const domain = `race-${randomBytes(3).toString('hex')}.test`;
      const id = await configured(domain);

      const nominated = await env.api<{ users: unknown[] }>('POST', `/api/onboardings/${id}/pilot-users`, {
        emails: [`user000001@${domain}`],
      });
      const confirmed = await env.api('POST', `/api/onboardings/${id}/pilot/confirm`);

      expect(nominated.status, JSON.stringify(nominated.body)).toBe(200);
      expect(nominated.body.users).toHaveLength(1);
      expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
      // The main line goes on from there: the pilot approval is mailed.
      await approvalLinkFromMail(env.smtp, `admin@${domain}`, /pilot/i);
      await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
    }
  });

  // No code of its own: the main line sets the stage in the same activation as the Update that
  // completes the pilot, so whoever that answer reaches already finds migration_list. This keeps it so.
  it('builds the migration list the moment the last pilot confirmation answers 200', async () => {
    for (let round = 0; round < 4; round++) {
      const domain = `race-${randomBytes(3).toString('hex')}.test`;
      const id = await configured(domain);
      await env.waitForStage(id, 'pilot');
      expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] })).status).toBe(200);
      expect((await postApproval(await approvalLinkFromMail(env.smtp, `admin@${domain}`, /pilot/i))).status).toBe(200);
      await pollUntil(
        'the customer’s confirmation',
        async () =>
          (await env.api<{ pilot: { customerConfirmed: boolean } }>('GET', `/api/onboardings/${id}`)).body.pilot.customerConfirmed ||
          undefined,
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      // Support's confirmation is the last: the main line now records the stage before it is migration_list.
      expect((await env.api('POST', `/api/onboardings/${id}/pilot/confirm`)).status).toBe(200);

      const built = await env.api<{ total: number }>('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain });

      expect(built.status, JSON.stringify(built.body)).toBe(202);
      expect(built.body.total).toBe(2);
      await env.waitForStage(id, 'list_review');
      await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
    }
  });
});
