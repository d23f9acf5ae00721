// A decision of any size keeps the workflow's history small: the approver's exclusions are stored in
// PostgreSQL against the link, and the workflow is sent their count. 20,000 exclusions of a 25,000-user
// list (60,000 once failed with GrpcMessageTooLarge) go through the mailed link's form in one post.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../contract/onboarding.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { approvalLinkFromMail, createDomainUsers, onboardingAtMigrationList, postApproval } from '../support/onboarding-http.js';

const { database, env } = useOnboardingEnv();

describe('an approval excluding 20,000 users of a 25,000-user list', () => {
  it('is decided through the link, enables exactly the rest, and leaves the SIDs out of the history', async () => {
    const domain = `large-${randomBytes(3).toString('hex')}.test`;
    const adminEmail = `admin@${domain}`;
    const total = 25_000;
    await createDomainUsers(database, domain, total);
    const { id } = await onboardingAtMigrationList(env, domain, {
      reminderEvery: 'PT1H',
      approvalTimeout: 'P1D',
      notifyUsers: false,
      batchSize: 2000,
    });
    const list = await env.api<{ total: number }>('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain });
    expect(list.body.total).toBe(total);
    // Everyone but the first 5,000 users (the pilot user among those kept).
    const excluded = (
      await database.sql<{ sid: string }[]>`
        select 'US' || md5(${domain} || g::text) as sid from generate_series(5001, ${total}) g`
    ).map((r) => r.sid);
    expect(excluded).toHaveLength(20_000);

    const answer = await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i), {
      decision: 'approve',
      excluded: excluded.join(' '),
    });

    expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    const waiting = (await env.waitForStage(id, 'awaiting_go_ahead', 120_000)) as { migration: { total: number; excluded: number } };
    expect(waiting.migration).toMatchObject({ total, excluded: 20_000 });
    const [states] = await database.sql<{ enabled: number; none: number }[]>`
      select count(*) filter (where sso_state = 'enabled')::int as enabled, count(*) filter (where sso_state = 'none')::int as none
      from users where email like ${`%@${domain}`}`;
    expect(states).toEqual({ enabled: 5_000, none: 20_000 });
    const client = await env.client();
    const history = JSON.stringify(await client.workflow.getHandle(workflowIdFor(id)).fetchHistory());
    expect(history).not.toContain(excluded[0]);
    expect(history).not.toContain(excluded.at(-1));
    expect(history.length).toBeLessThan(512 * 1024);
  }, 240_000);
});
