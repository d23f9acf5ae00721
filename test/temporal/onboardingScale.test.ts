import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../contract/onboarding.js';
import { useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { overrideDomains } from '../support/onboarding-http.js';
import { extractLinks } from '../support/smtp.js';

const { database, env } = useOnboardingEnv();
const idp = useSimpleSamlIdp({ sp: [], users: [{ username: 'x', password: 'x', email: 'x@example.test' }] });
const count = 100_000;

async function approve(to: string, subject: RegExp) {
  const mail = await env.smtp.waitFor((m) => m.to.includes(to) && subject.test(m.subject), 30_000);
  const link = extractLinks(mail).find((l) => l.includes('/approvals/')) as string;
  expect((await fetch(link, { method: 'POST', body: new URLSearchParams({ decision: 'approve' }) })).status).toBe(200);
}

describe('an onboarding of 100,000 users', () => {
  it('builds, enables and enforces the whole list while the workflow history stays small', { timeout: 600_000 }, async () => {
    const domain = `big-${randomBytes(3).toString('hex')}.test`;
    const adminEmail = `admin@${domain}`;
    await database.sql`
      insert into users (sid, email)
      select 'US' || md5(${domain} || g::text), 'person' || g || '@' || ${domain} from generate_series(1, ${count}) g`;
    const { body } = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: 'Big Co',
      adminEmail,
      emailDomains: [domain],
      options: { reminderEvery: 'PT1H', approvalTimeout: 'P7D', notifyUsers: false, batchSize: 2000 },
    });
    const id = body.id;
    await overrideDomains(env.api, id);
    expect((await env.api('POST', `/api/onboardings/${id}/idp-config`, idp.metadataXml)).status).toBe(200);
    await env.waitForStage(id, 'pilot');
    await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`person1@${domain}`] });
    await approve(adminEmail, /confirm the SSO pilot/);
    await env.api('POST', `/api/onboardings/${id}/pilot/confirm`);
    await env.waitForStage(id, 'migration_list');

    const list = await env.api<{ total: number; listId: string }>('POST', `/api/onboardings/${id}/migration-list`, {
      method: 'domain',
      domain,
    });
    expect(list.status).toBe(202);
    expect(list.body.total).toBe(count);
    await approve(adminEmail, /migration list/);
    await env.waitForStage(id, 'awaiting_go_ahead', 300_000);
    await approve(adminEmail, /go-ahead/);
    const done = await env.waitForStage(id, 'completed', 300_000);
    expect(done.progress).toEqual({ enabled: count, enforced: count, total: count });

    const [states] = await database.sql<{ enforced: number }[]>`
      select count(*) filter (where sso_state = 'enforced')::int as enforced from users where email like ${`%@${domain}`}`;
    expect(states?.enforced).toBe(count);

    // The list never travelled through Temporal: history stays far below its limits.
    const handle = (await env.client()).workflow.getHandle(workflowIdFor(id));
    const events = (await handle.fetchHistory()).events ?? [];
    const size = Number((await handle.describe()).raw.workflowExecutionInfo?.historySizeBytes ?? 0);
    expect(events.length).toBeLessThan(2000);
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThan(2 * 1024 * 1024);
  });
});
