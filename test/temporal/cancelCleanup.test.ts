// Cancel leaves nothing behind (issue #11, item 7): with revertTo none, the users the list and the pilot enabled are
// put back at the go-ahead stage too; the onboarding's connection is switched off (logins and discovery
// refuse it) unless someone is still enforced on it; the customer's administrator is told by mail.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../contract/onboarding.js';
import { recordHistory } from '../support/histories.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { approvalLinkFromMail, createDomainUsers, onboardingAtMigrationList, postApproval } from '../support/onboarding-http.js';

const { database, env } = useOnboardingEnv();

const statesIn = async (domain: string) =>
  await database.sql<{ email: string; sso_state: string; connection_id: string | null }[]>`
    select email, sso_state::text, connection_id from users where email like ${`%@${domain}`} order by email`;

describe('cancelling at the go-ahead stage with revertTo none', () => {
  it('puts back every user the list enabled, switches the connection off and mails the administrator', async () => {
    const domain = `undo-${randomBytes(3).toString('hex')}.test`;
    await createDomainUsers(database, domain, 4);
    const { id, adminEmail } = await onboardingAtMigrationList(env, domain, {
      reminderEvery: 'PT1H',
      approvalTimeout: 'P1D',
      notifyUsers: false,
    });
    expect((await env.api('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain })).status).toBe(202);
    expect((await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i))).status).toBe(200);
    const waiting = (await env.waitForStage(id, 'awaiting_go_ahead')) as { connection: { id: string } };
    const connectionId = waiting.connection.id;
    expect((await statesIn(domain)).map((u) => u.sso_state)).toEqual(['enabled', 'enabled', 'enabled', 'enabled']);
    expect((await fetch(`${env.baseUrl}/sso?email=user000002@${domain}`, { redirect: 'manual' })).status).toBe(302);

    const cancelled = await env.api<{ stage: string }>('POST', `/api/onboardings/${id}/cancel`, {
      reason: 'the customer moves to another IdP',
      revertTo: 'none',
    });

    expect(cancelled.status).toBe(200);
    expect(cancelled.body.stage).toBe('cancelled');
    expect((cancelled.body as { summary?: { counts: { reverted: number } } }).summary?.counts.reverted).toBe(4);
    // Everyone the onboarding changed goes back: the pilot's user as well as the list's.
    expect((await statesIn(domain)).map((u) => [u.email.split('@')[0], u.sso_state, u.connection_id])).toEqual([
      ['user000001', 'none', null],
      ['user000002', 'none', null],
      ['user000003', 'none', null],
      ['user000004', 'none', null],
    ]);
    const [connection] = await database.sql<{ status: string }[]>`select status::text from sso_connections where id = ${connectionId}`;
    expect(connection?.status).toBe('disabled');
    const discovered = await fetch(`${env.baseUrl}/sso?email=user000001@${domain}`, { redirect: 'manual' });
    expect(discovered.status).toBe(404);
    const mail = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /cancelled/i.test(m.subject));
    expect(mail.text).toContain('the customer moves to another IdP');
    expect(mail.text).toContain('Single sign-on through your identity provider is switched off');
    const [audit] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from audit_events where connection_id = ${connectionId} and type = 'connection.disabled'`;
    expect(audit?.n).toBe(1);
    await recordHistory(workflowIdFor(id), 'cancelled-reverting-pilot');
  });
});
