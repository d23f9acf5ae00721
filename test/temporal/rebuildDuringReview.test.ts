// Consent is bound to what was shown (issue #11, item 1): a list rebuilt while the customer reviews the
// earlier version supersedes that version's link (410 link_superseded, and its page says why) and a link
// for the new version is mailed; what gets enabled is exactly the approved version minus its exclusions,
// and the go-ahead names that count.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../contract/onboarding.js';
import { recordHistory } from '../support/histories.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { createDomainUsers, onboardingAtMigrationList, postApproval } from '../support/onboarding-http.js';
import { extractLinks, type ReceivedMail } from '../support/smtp.js';

const { database, env } = useOnboardingEnv();

const linkOf = (mail: ReceivedMail) => extractLinks(mail).find((l) => l.includes('/approvals/')) as string;

describe('a migration list rebuilt during its review', () => {
  it('supersedes the link of the earlier version and enables exactly the version approved, minus its exclusions', async () => {
    const domain = `rebuild-${randomBytes(3).toString('hex')}.test`;
    await createDomainUsers(database, domain, 6);
    const { id, adminEmail } = await onboardingAtMigrationList(env, domain, {
      reminderEvery: 'PT1H',
      approvalTimeout: 'P1D',
      notifyUsers: false,
    });
    const reviewMail = (n: number) => env.smtp.messages.filter((m) => m.to.includes(adminEmail) && /migration list/i.test(m.subject))[n];

    const v1 = await env.api<{ version: number; total: number }>('POST', `/api/onboardings/${id}/migration-list`, {
      method: 'domain',
      domain,
    });
    expect(v1.body).toMatchObject({ version: 1, total: 6 });
    await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /migration list/i.test(m.subject));
    const v1Link = linkOf(reviewMail(0) as ReceivedMail);
    const sids = (await database.sql<{ sid: string }[]>`select sid from users where email like ${`%@${domain}`} order by email`).map(
      (r) => r.sid,
    );

    // Support rebuilds from three of the six users while the customer has v1's link open.
    const v2 = await env.api<{ version: number; total: number }>('POST', `/api/onboardings/${id}/migration-list`, {
      method: 'userSids',
      userSids: sids.slice(0, 3),
    });
    expect(v2.body).toMatchObject({ version: 2, total: 3 });
    await env.smtp.waitFor(() => reviewMail(1) !== undefined);
    const v2Link = linkOf(reviewMail(1) as ReceivedMail);
    expect(v2Link).not.toBe(v1Link);

    const page = await fetch(v1Link, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('A newer approval link has been sent');
    const stale = await postApproval(v1Link);
    expect(stale.status).toBe(410);
    expect(stale.body).toContain('link_superseded');

    const approved = await postApproval(v2Link, { decision: 'approve', exclude: sids[2] as string });
    expect(approved.status, approved.body).toBe(200);
    const waiting = (await env.waitForStage(id, 'awaiting_go_ahead')) as { migration: { version: number } };
    expect(waiting.migration.version).toBe(2);
    const states = await database.sql<{ sso_state: string }[]>`
      select sso_state::text from users where email like ${`%@${domain}`} order by email`;
    // user000001 is the pilot (enabled before); 2 was approved; 3 excluded; 4-6 were only on v1.
    expect(states.map((u) => u.sso_state)).toEqual(['enabled', 'enabled', 'none', 'none', 'none', 'none']);
    const goAhead = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /go-ahead/i.test(m.subject));
    expect(goAhead.text).toMatch(/Users to enforce: 2\b/);
    await recordHistory(workflowIdFor(id), 'rebuilt-during-review');
  });
});
