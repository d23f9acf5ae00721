// A customer administrator's decision is one domain operation (issue #12 item 4): it claims the link,
// sends the decision to the workflow through the one Temporal gateway, gives the link back when that
// fails, and leaves an `approval.decided` audit event once the workflow has it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../contract/onboarding.js';
import { decideApproval } from '../../domain/approvalDecision.js';
import { findApproval, issueApproval } from '../../domain/approvals.js';
import { createLogger } from '../../lib/logger.js';
import { approvalSecret as secret, testConfig } from '../support/deps.js';
import { recordHistory } from '../support/histories.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { approvalLinkFromMail, createDomainUsers, onboardingAtPilotByFields, postApproval } from '../support/onboarding-http.js';

const { database, env } = useOnboardingEnv();
const options = { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: false };
const logger = createLogger(testConfig({ LOG_LEVEL: 'silent' }), 'test');

const newDomain = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}.test`;
const decidedEvents = async (onboardingId: string) =>
  await database.sql<{ actor: string; detail: Record<string, unknown> }[]>`
    select actor, detail from audit_events where onboarding_id = ${onboardingId} and type = 'approval.decided' order by id`;
const tokenOf = (link: string) => decodeURIComponent(link.split('/approvals/')[1] ?? '');

async function pilotAwaitingDecision(prefix: string) {
  const domain = newDomain(prefix);
  await createDomainUsers(database, domain, 2);
  const { id, adminEmail } = await onboardingAtPilotByFields(env, domain, options);
  expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] })).status).toBe(200);
  return { id, adminEmail, link: await approvalLinkFromMail(env.smtp, adminEmail, /pilot/i) };
}

describe("a customer administrator's decision", () => {
  it('is audited as approval.decided with the approver, the step, the decision and the reason', async () => {
    const { id, adminEmail, link } = await pilotAwaitingDecision('audited');
    expect(await decidedEvents(id)).toEqual([]);

    const answer = await postApproval(link, { decision: 'reject', reason: 'Bob could not sign in' });

    expect(answer.status, answer.body).toBe(200);
    const [event, ...others] = await decidedEvents(id);
    expect(others).toEqual([]);
    expect(event?.actor).toBe(adminEmail);
    expect(event?.detail).toMatchObject({ step: 'pilot', decision: 'reject', reason: 'Bob could not sign in', excluded: 0 });
    expect(event?.detail.tokenId).toMatch(/^apr_[0-9a-f]{32}$/);
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
    // A run with the one-at-a-time Update guard (patched 'exclusive-updates'), kept as a replay fixture.
    await (await env.client()).workflow.getHandle(workflowIdFor(id)).result();
    await recordHistory(workflowIdFor(id), 'pilot-rejected-one-update-at-a-time');
  });

  it('gives the link back and audits nothing when Temporal cannot be reached', async () => {
    const { id, link } = await pilotAwaitingDecision('fault');
    const usable = await findApproval(database.db, secret, tokenOf(link), new Date());
    if (usable?.state !== 'valid') throw new Error(`the mailed link is ${usable?.state ?? 'not found'}`);

    const decided = decideApproval(
      { database, temporal: () => Promise.reject(new Error('connection refused')), approvalSecret: secret, logger },
      { link: usable, token: tokenOf(link), decision: 'approve', excludes: [], now: new Date() },
    );

    await expect(decided).rejects.toMatchObject({ code: 'temporarily_unavailable', httpStatus: 503 });
    expect((await findApproval(database.db, secret, tokenOf(link), new Date()))?.state).toBe('valid');
    expect(await decidedEvents(id)).toEqual([]);
    // The link given back still decides.
    expect((await postApproval(link)).status).toBe(200);
    expect((await decidedEvents(id)).map((e) => e.detail.decision)).toEqual(['approve']);
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
  });

  it('is refused as link_stale and audits nothing when the workflow does not await that link', async () => {
    const { id } = await pilotAwaitingDecision('stale');
    // A link the workflow never asked for: valid in PostgreSQL, but not the one the step awaits.
    const stray = await issueApproval(database.db, {
      tokenId: `apr_${randomBytes(16).toString('hex')}`,
      onboardingId: id,
      step: 'go_ahead',
      approverEmail: 'someone@example.test',
      subjectVersion: 1,
      expiresAt: new Date(Date.now() + 3_600_000),
      secret,
      publicBaseUrl: env.baseUrl,
      now: new Date(),
    });
    const token = tokenOf(stray.url);
    const link = await findApproval(database.db, secret, token, new Date());
    if (!link) throw new Error('the stray link was not issued');

    const decided = decideApproval(
      { database, temporal: env.client, approvalSecret: secret, logger },
      { link, token, decision: 'approve', excludes: [], now: new Date() },
    );

    await expect(decided).rejects.toMatchObject({ code: 'link_stale', httpStatus: 409 });
    expect(await decidedEvents(id)).toEqual([]);
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
  });
});
