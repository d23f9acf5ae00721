// Lists have guard rails and "complete" is true (issue #11, items 2, 5 and 10): a list of nobody is not
// sent for review; SIDs not on file are named in the answer, the onboarding's problems and the review
// page; support previews a draft before it is mailed; pilot users left off the approved list are named as
// keeping their passwords on the go-ahead page, in the summary and in the completion mail; the customer's
// name is a Text search attribute in Temporal.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../contract/onboarding.js';
import { recordHistory } from '../support/histories.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import {
  approvalLinkFromMail,
  createDomainUsers,
  onboardingAtMigrationList,
  onboardingAtPilotByFields,
  postApproval,
} from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';

const { database, env } = useOnboardingEnv();
const options = { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: false };

const newDomain = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}.test`;
const sidsOf = async (domain: string) =>
  (await database.sql<{ sid: string }[]>`select sid from users where email like ${`%@${domain}`} order by email`).map((r) => r.sid);
const unknownSid = () => `US${randomBytes(16).toString('hex')}`;

interface ListAnswer {
  listId: string;
  version: number;
  status: string;
  total: number;
  problems: { code: string; message: string; values: string[] }[];
}
interface Detail {
  stage: string;
  problems: { field: string; code: string; message: string }[];
  migration: ListAnswer | null;
  draft: ListAnswer | null;
  pendingApprovals: { step: string; url: string }[];
  summary: { keepingPasswords?: { count: number; emails: string[] } } | null;
}
const detail = async (id: string) => (await env.api<Detail>('GET', `/api/onboardings/${id}`)).body;
const reviewMails = (adminEmail: string) => env.smtp.messages.filter((m) => m.to.includes(adminEmail) && /migration list/i.test(m.subject));

describe('a list with nobody on it', () => {
  it('is refused with 422 empty_list naming why, is not sent for review, and leaves a problem on the onboarding', async () => {
    const domain = newDomain('empty');
    await createDomainUsers(database, domain, 2);
    const { id, adminEmail } = await onboardingAtMigrationList(env, domain, options);
    const missing = [unknownSid(), unknownSid()];

    const built = await env.api<{ error: { code: string; message: string; details: ListAnswer['problems'] } }>(
      'POST',
      `/api/onboardings/${id}/migration-list`,
      { method: 'userSids', userSids: missing },
    );

    expect(built.status).toBe(422);
    expect(built.body.error.code).toBe('empty_list');
    expect(built.body.error.message).toMatch(/no users, so it is not sent for review/);
    expect(built.body.error.details.map((p) => p.code)).toEqual(['empty_list', 'unknown_user_sids']);
    const onboarding = await detail(id);
    expect(onboarding.stage).toBe('migration_list');
    expect(onboarding.migration).toBeNull();
    expect(onboarding.pendingApprovals).toEqual([]);
    expect(onboarding.problems.map((p) => p.code)).toContain('empty_list');
    // A real list afterwards is the one sent, and the empty list's problem is gone.
    expect((await env.api('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain })).status).toBe(202);
    await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i);
    expect(reviewMails(adminEmail)).toHaveLength(1);
    expect((await detail(id)).problems.map((p) => p.code)).not.toContain('empty_list');
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
  });
});

describe('SIDs that are not on file', () => {
  it('are named in the answer, in the onboarding’s problems and on the customer’s review page', async () => {
    const domain = newDomain('unknown');
    await createDomainUsers(database, domain, 3);
    const { id, adminEmail } = await onboardingAtMigrationList(env, domain, options);
    const missing = [unknownSid(), unknownSid()].sort();

    const built = await env.api<ListAnswer>('POST', `/api/onboardings/${id}/migration-list`, {
      method: 'userSids',
      userSids: [...(await sidsOf(domain)), ...missing],
    });

    expect(built.status, JSON.stringify(built.body)).toBe(202);
    expect(built.body.total).toBe(3);
    const problem = built.body.problems.find((p) => p.code === 'unknown_user_sids');
    expect(problem?.values.sort()).toEqual(missing);
    for (const sid of missing) expect(problem?.message).toContain(sid);
    const onboardingProblem = (await detail(id)).problems.find((p) => p.code === 'unknown_user_sids');
    for (const sid of missing) expect(onboardingProblem?.message).toContain(sid);
    const review = await (await fetch(await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i))).text();
    expect(review).toContain('2 user SIDs are not on file and are not on the list');
    for (const sid of missing) expect(review).toContain(sid);
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
  });
});

describe('a draft list', () => {
  it('is built without being mailed, previewed, and sent for review by a second call', async () => {
    const domain = newDomain('draft');
    await createDomainUsers(database, domain, 3);
    const { id, adminEmail } = await onboardingAtMigrationList(env, domain, options);

    const drafted = await env.api<ListAnswer>('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain, send: false });

    expect(drafted.status, JSON.stringify(drafted.body)).toBe(202);
    expect(drafted.body).toMatchObject({ status: 'draft', total: 3 });
    const waiting = await detail(id);
    expect(waiting.migration).toBeNull();
    expect(waiting.draft).toMatchObject({ listId: drafted.body.listId, status: 'draft' });
    expect(waiting.pendingApprovals).toEqual([]);
    const preview = await env.api<{ items: { email: string }[] }>('GET', `/api/migration-lists/${drafted.body.listId}`);
    expect(preview.body.items).toHaveLength(3);
    expect(reviewMails(adminEmail)).toEqual([]);
    // Only the draft can be sent, and only once.
    const other = `ml_${randomBytes(12).toString('hex')}`;
    expect((await env.api('POST', `/api/migration-lists/${other}/send`)).status).toBe(404);

    const sent = await env.api<ListAnswer>('POST', `/api/migration-lists/${drafted.body.listId}/send`);

    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ listId: drafted.body.listId, status: 'ready', total: 3 });
    const link = await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i);
    expect(await (await fetch(link)).text()).toContain(`Users on the list (version ${drafted.body.version})`);
    const again = await env.api<{ error: { code: string } }>('POST', `/api/migration-lists/${drafted.body.listId}/send`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('not_a_draft');
    const [audit] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from audit_events where onboarding_id = ${id} and type = 'migration_list.sent'`;
    expect(audit?.n).toBe(1);
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
    await recordHistory(workflowIdFor(id), 'draft-sent-then-cancelled');
  });
});

describe('pilot users left off the approved list', () => {
  it('are named as keeping their passwords on the go-ahead page, in the summary and in the completion mail', async () => {
    const domain = newDomain('keepers');
    await createDomainUsers(database, domain, 4);
    const { id, adminEmail } = await onboardingAtMigrationList(env, domain, options);
    // user000001 is the pilot user; the list names only the three others.
    const [, ...others] = await sidsOf(domain);
    expect((await env.api('POST', `/api/onboardings/${id}/migration-list`, { method: 'userSids', userSids: others })).status).toBe(202);
    expect((await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i))).status).toBe(200);
    await env.waitForStage(id, 'awaiting_go_ahead');

    const goAhead = await approvalLinkFromMail(env.smtp, adminEmail, /go.ahead|enforce/i);
    const page = await (await fetch(goAhead)).text();
    expect(page).toMatch(/data-count="to-enforce">3</);
    expect(page).toContain('Who keeps their password');
    expect(page).toContain(`<li>user000001@${domain}</li>`);
    expect((await postApproval(goAhead)).status).toBe(200);
    await env.waitForStage(id, 'completed');

    expect((await detail(id)).summary?.keepingPasswords).toEqual({ count: 1, emails: [`user000001@${domain}`] });
    const mail = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /complete/i.test(m.subject));
    expect(mail.text).toContain('SSO enforced (IdP sign-in only): 3');
    expect(mail.text).toContain('SSO enabled (password still works): 1');
    expect(mail.text).toContain(
      `1 user keeps signing in with a password, as they were not on the approved list or were excluded: user000001@${domain}`,
    );
  });
});

describe('finding an onboarding by its customer', () => {
  it('holds the customer name in a Text search attribute and the memo, and keeps the CustomerId it searches by', async () => {
    const word = `Zebra${randomBytes(3).toString('hex')}`;
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: `${word} Logistics`,
      adminEmail: `admin@${newDomain('name')}`,
      emailDomains: [newDomain('name')],
    });
    expect(started.status).toBe(201);
    const client = await env.client();
    const found = await pollUntil(
      'the onboarding found by a word of its customer name',
      async () => {
        const ids: string[] = [];
        for await (const execution of client.workflow.list({ query: `CustomerName = '${word}'` })) ids.push(execution.workflowId);
        return ids.length > 0 ? ids : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(found).toEqual([`onboarding-${started.body.id}`]);
    const described = await client.workflow.getHandle(`onboarding-${started.body.id}`).describe();
    expect(described.memo?.customerName).toBe(`${word} Logistics`);
    const onboarding = await env.api<{ customerId: string }>('GET', `/api/onboardings/${started.body.id}`);
    expect(onboarding.body.customerId).toBe(`${word.toLowerCase()}-logistics`);
    const items = (await env.api<{ items: { id: string; customerId: string }[] }>('GET', '/api/onboardings')).body.items;
    expect(items.find((o) => o.id === started.body.id)?.customerId).toBe(`${word.toLowerCase()}-logistics`);
    await env.api('POST', `/api/onboardings/${started.body.id}/cancel`, { reason: 'test over' });
  });
});

describe('a decision on what the page showed', () => {
  const shownOf = (page: string) => /name="shown" value="([0-9a-f]{32})"/.exec(page)?.[1] ?? '';
  const post = async (link: string, fields: Record<string, string>) => {
    const res = await fetch(link, { method: 'POST', body: new URLSearchParams(fields), headers: { accept: 'text/html' } });
    return { status: res.status, text: await res.text() };
  };

  it('is refused when the pilot set changed since the page was shown, and decides the set shown again', async () => {
    const domain = newDomain('pset');
    await createDomainUsers(database, domain, 3);
    const { id, adminEmail } = await onboardingAtPilotByFields(env, domain, options);
    expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] })).status).toBe(200);
    const link = await approvalLinkFromMail(env.smtp, adminEmail, /pilot/i);
    const shown = shownOf(await (await fetch(link)).text());
    expect(shown).not.toBe('');
    // Support adds a pilot user while the administrator reads the page.
    expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000002@${domain}`] })).status).toBe(200);

    const stale = await post(link, { decision: 'approve', shown });

    expect(stale.status).toBe(409);
    expect(stale.text).toContain('What this page showed has changed since you opened it (the pilot users)');
    expect(stale.text).toContain(`user000002@${domain}`);
    expect((await detail(id)).pendingApprovals.map((p) => p.step)).toEqual(['pilot']);
    const fresh = shownOf(stale.text);
    expect(fresh).not.toBe(shown);
    expect((await post(link, { decision: 'approve', shown: fresh })).status).toBe(200);
    await env.api('POST', `/api/onboardings/${id}/cancel`, { reason: 'test over' });
  });

  it('is refused when who would be enforced changed since the go-ahead page was shown', async () => {
    const domain = newDomain('gaset');
    await createDomainUsers(database, domain, 4);
    const { id, adminEmail } = await onboardingAtMigrationList(env, domain, options);
    const [, second, ...rest] = await sidsOf(domain);
    expect((await env.api('POST', `/api/onboardings/${id}/migration-list`, { method: 'userSids', userSids: rest })).status).toBe(202);
    expect((await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i))).status).toBe(200);
    const waiting = (await env.waitForStage(id, 'awaiting_go_ahead')) as { connection: { id: string } };
    const link = await approvalLinkFromMail(env.smtp, adminEmail, /go.ahead|enforce/i);
    const shown = shownOf(await (await fetch(link)).text());
    // Support enables one more user by hand: they would keep a password, which the page did not say.
    const enabled = await env.api('PUT', `/api/users/${second}/sso`, {
      state: 'enabled',
      connectionId: waiting.connection.id,
      reason: 'test: a late addition',
    });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);

    const stale = await post(link, { decision: 'approve', shown });

    expect(stale.status).toBe(409);
    expect(stale.text).toContain('(who will be enforced)');
    expect(stale.text).toContain(`user000002@${domain}`);
    expect((await detail(id)).stage).toBe('awaiting_go_ahead');
    expect((await post(link, { decision: 'approve', shown: shownOf(stale.text) })).status).toBe(200);
    await env.waitForStage(id, 'completed');
  });
});
