import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { recordHistory } from '../support/histories.js';
import { useSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { onboardingAtPilot as atPilot, overrideDomains } from '../support/onboarding-http.js';
import { extractLinks } from '../support/smtp.js';

const { database, env } = useOnboardingEnv();
const idp = useSimpleSamlIdp({ sp: [], users: [{ username: 'x', password: 'x', email: 'x@example.test' }] });

/** An onboarding brought to the pilot stage with a connection, for `domain` and its admin. */
const onboardingAtPilot = (domain: string, options: Record<string, unknown>) => atPilot(env.api, idp.metadataXml, domain, options);

async function createUsers(domain: string, count: number) {
  await database.sql`
    insert into users (sid, email)
    select 'US' || md5(${domain} || g::text), 'user' || lpad(g::text, 6, '0') || '@' || ${domain}
    from generate_series(1, ${count}) g`;
}

async function approveLink(
  mailFilter: (subject: string, text: string) => boolean,
  to: string,
  fields: Record<string, string> = { decision: 'approve' },
) {
  const mail = await env.smtp.waitFor((m) => m.to.includes(to) && mailFilter(m.subject, m.text), 20_000);
  const link = extractLinks(mail).find((l) => l.includes('/approvals/')) as string;
  const res = await fetch(link, { method: 'POST', body: new URLSearchParams(fields), headers: { accept: 'application/json' } });
  expect({ status: res.status, body: res.status === 200 ? '' : await res.text() }).toEqual({ status: 200, body: '' });
}

describe('onboarding timers and faults', () => {
  it('sends reminders on the configured timer while an approval waits, with the same link', async () => {
    const domain = `remind-${randomBytes(3).toString('hex')}.test`;
    await createUsers(domain, 1);
    const { id, adminEmail } = await onboardingAtPilot(domain, { reminderEvery: 'PT1S', approvalTimeout: 'PT1H', notifyUsers: false });
    await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] });
    const first = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /^Action needed: confirm the SSO pilot/.test(m.subject));
    const reminder = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /^Reminder 2:/.test(m.subject), 15_000);
    const link = (text: string) => /https?:\/\/\S+\/approvals\/\S+/.exec(text)?.[0];
    expect(link(reminder.text)).toBe(link(first.text));
    const detail = await env.api<{ events: { type: string }[] }>('GET', `/api/onboardings/${id}`);
    expect(detail.body.events.filter((e) => e.type === 'approval_reminder').length).toBeGreaterThanOrEqual(2);
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
  });

  it('escalates once an approval is overdue and issues a fresh link', async () => {
    const domain = `overdue-${randomBytes(3).toString('hex')}.test`;
    await createUsers(domain, 1);
    const { id, adminEmail } = await onboardingAtPilot(domain, { reminderEvery: 'PT1S', approvalTimeout: 'PT2S', notifyUsers: false });
    await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] });
    await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /^Approval overdue/.test(m.subject), 15_000);
    let detail = await env.api<{ problems: { code: string }[]; pendingApprovals: { step: string; expiresAt: string }[] }>(
      'GET',
      `/api/onboardings/${id}`,
    );
    // The fresh link is issued right after the escalation mail.
    while (detail.body.pendingApprovals.length === 0) detail = await env.api('GET', `/api/onboardings/${id}`);
    expect(detail.body.problems.map((p) => p.code)).toContain('approval_overdue');
    expect(detail.body.pendingApprovals.map((p) => p.step)).toEqual(['pilot']);
    expect(new Date(detail.body.pendingApprovals[0]?.expiresAt as string).getTime()).toBeGreaterThan(Date.now());
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
    await recordHistory(`onboarding-${id}`, 'escalated-then-cancelled');
  });

  it('refuses actions that do not fit the stage, naming it, without a workflow round-trip into history', async () => {
    const domain = `stage-${randomBytes(3).toString('hex')}.test`;
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: 'Stage Co',
      adminEmail: `a@${domain}`,
      emailDomains: [domain],
    });
    await overrideDomains(env.api, started.body.id);
    const res = await env.api<{ error: { code: string; message: string } }>('POST', `/api/onboardings/${started.body.id}/migration-list`, {
      method: 'domain',
      domain,
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'wrong_stage', message: expect.stringContaining('config_intake') });
    const cancelled = await env.api<{ stage: string }>('POST', `/api/onboardings/${started.body.id}/cancel`, { reason: 'done' });
    expect(cancelled.body.stage).toBe('cancelled');
    const again = await env.api<{ error: { code: string } }>('POST', `/api/onboardings/${started.body.id}/cancel`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('wrong_stage');
  });

  it('cancelled in the middle of enforcement, finishes the batch in flight and puts every enforced user back to enabled', async () => {
    const domain = `cancel-${randomBytes(3).toString('hex')}.test`;
    const count = 20_000;
    await createUsers(domain, count);
    const { id, adminEmail } = await onboardingAtPilot(domain, {
      reminderEvery: 'PT1H',
      approvalTimeout: 'P1D',
      notifyUsers: false,
      batchSize: 20,
    });
    await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] });
    await approveLink((s) => /confirm the SSO pilot/.test(s), adminEmail);
    await env.api('POST', `/api/onboardings/${id}/pilot/confirm`);
    await env.waitForStage(id, 'migration_list');
    const list = await env.api<{ total: number }>('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain });
    expect(list.body.total).toBe(count);
    await approveLink((s) => /migration list/.test(s), adminEmail);
    await env.waitForStage(id, 'awaiting_go_ahead', 60_000);
    await approveLink((s) => /go-ahead/.test(s), adminEmail);
    await env.waitForStage(id, 'enforcing');
    // Wait until enforcement is under way, then cancel.
    for (;;) {
      const d = await env.api<{ progress: { enforced: number }; stage: string }>('GET', `/api/onboardings/${id}`);
      if (d.body.progress.enforced > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const cancelled = await env.api<{ stage: string; summary: { counts: { enforced: number; reverted: number; enabled: number } } }>(
      'POST',
      `/api/onboardings/${id}/cancel`,
      { reason: 'customer found a problem with their IdP' },
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.stage).toBe('cancelled');
    const { counts } = cancelled.body.summary;
    expect(counts.enforced).toBe(0);
    expect(counts.reverted).toBeGreaterThan(0);
    expect(counts.reverted).toBeLessThan(count);
    const states = await database.sql<{ sso_state: string; n: number }[]>`
      select sso_state, count(*)::int as n from users where email like ${`%@${domain}`} group by sso_state order by sso_state`;
    expect(states).toEqual([{ sso_state: 'enabled', n: count }]);
    const reverted = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.onboardingId, id), eq(auditEvents.type, 'user.sso_reverted')));
    expect(reverted).toHaveLength(counts.reverted);
    await recordHistory(`onboarding-${id}`, 'cancelled-during-enforcement');
  });
});
