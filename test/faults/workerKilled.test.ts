// The worker process dies with SIGKILL in the middle of enforcing 10,000 users. The rollout activity
// heartbeats its cursor and every batch is one statement, so once a worker runs again the activity is
// retried (after its heartbeat timeout), resumes, and no user is enforced, or audited, twice.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rolloutProgress } from '../../domain/rollout.js';
import { freePort } from '../../lib/ports.js';
import { approvalSecret, supportToken, testDatabase } from '../support/deps.js';
import { type SimpleSamlIdp, startSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import {
  approveByMail,
  createDomainUsers,
  onboardingAtPilot,
  type SupportApi,
  supportApi,
  waitForStage,
} from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';
import { startApiProcess, startWorkerProcess, stopAllServiceProcesses } from '../support/processes.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const userCount = 10_000;
const database = testDatabase();
const workerAppName = `sso-onboarding-worker-${randomBytes(4).toString('hex')}`;
let smtp: SmtpSink;
let idp: SimpleSamlIdp;
let api: SupportApi;
let settings: Record<string, string>;

beforeAll(async () => {
  [smtp, idp] = await Promise.all([
    startSmtpSink(),
    startSimpleSamlIdp({ sp: [], users: [{ username: 'x', password: 'x', email: 'x@example.test' }] }),
  ]);
  const port = await freePort();
  settings = {
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    // Its own queue: no worker of another test file can pick up this onboarding's tasks.
    TEMPORAL_TASK_QUEUE: `fault-kill-${randomBytes(4).toString('hex')}`,
    SUPPORT_API_TOKEN: supportToken,
    APPROVAL_LINK_SECRET: approvalSecret,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SMTP_URL: smtp.url,
    ALLOW_PRIVATE_IDP_URLS: 'true',
  };
  api = supportApi((await startApiProcess(port, settings)).baseUrl);
});
afterAll(async () => {
  await stopAllServiceProcesses();
  await smtp?.close();
  await idp?.stop();
  await database.close();
});

/** The worker with its database sessions named, so the test can see when the killed one's are gone. */
function startWorker() {
  const url = new URL(settings.DATABASE_URL as string);
  url.searchParams.set('application_name', workerAppName);
  return startWorkerProcess({ ...settings, DATABASE_URL: url.toString() });
}

async function workerBackends() {
  const [row] = await database.sql<
    { n: number }[]
  >`select count(*)::int as n from pg_stat_activity where application_name = ${workerAppName}`;
  return row?.n ?? 0;
}

/** An onboarding for `userCount` users of a fresh domain, approved up to the start of enforcement. */
async function onboardingEnforcing(domain: string) {
  await createDomainUsers(database, domain, userCount);
  const { id, adminEmail } = await onboardingAtPilot(api, idp.metadataXml, domain, {
    reminderEvery: 'PT1H',
    approvalTimeout: 'P1D',
    notifyUsers: false,
    batchSize: 20,
  });
  expect((await api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] })).status).toBe(200);
  await approveByMail(smtp, adminEmail, /confirm the SSO pilot/);
  expect((await api('POST', `/api/onboardings/${id}/pilot/confirm`)).status).toBe(200);
  await waitForStage(api, id, 'migration_list');
  const list = await api<{ listId: string; total: number }>('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain });
  expect(list.body.total).toBe(userCount);
  await approveByMail(smtp, adminEmail, /migration list/);
  await waitForStage(api, id, 'awaiting_go_ahead', 90_000);
  await approveByMail(smtp, adminEmail, /go-ahead/);
  return { id, listId: list.body.listId };
}

describe('worker killed with SIGKILL while it enforces 10,000 users', () => {
  it('completes once a worker runs again, every listed user enforced exactly once and none left enabled', async () => {
    const killed = await startWorker();
    const domain = `killed-${randomBytes(3).toString('hex')}.test`;
    const { id, listId } = await onboardingEnforcing(domain);
    await pollUntil('enforcement under way', async () => ((await rolloutProgress(database.sql, listId)).enforced > 0 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
    });

    killed.signal('SIGKILL');
    expect(await killed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // A statement the worker had sent still commits; once its sessions are gone nothing it started can change.
    await pollUntil('the killed worker’s database sessions ending', async () => ((await workerBackends()) === 0 ? true : undefined), {
      timeoutMs: 15_000,
    });
    const atKill = await rolloutProgress(database.sql, listId);
    expect(atKill.enforced).toBeGreaterThan(0);
    expect(atKill.enforced).toBeLessThan(userCount);

    // Nothing enforces while no worker runs: progress holds still for as long as the next one takes to start.
    const restarting = startWorker();
    const settled = restarting.then(
      () => true,
      () => true,
    );
    for (;;) {
      expect(await rolloutProgress(database.sql, listId)).toEqual(atKill);
      if (await Promise.race([settled, delay(100).then(() => false)])) break;
    }
    const restarted = await restarting;

    const done = await waitForStage(api, id, 'completed', 120_000);
    expect(done.summary?.counts).toMatchObject({ listed: userCount, enforced: userCount });
    const states = await database.sql<{ sso_state: string; n: number }[]>`
      select sso_state, count(*)::int as n from users where email like ${`%@${domain}`} group by sso_state`;
    expect(states).toEqual([{ sso_state: 'enforced', n: userCount }]);
    const audit = await database.sql<{ events: number; users: number; listed_without_one: number }[]>`
      with enforced as (
        select user_sid, count(*)::int as n from audit_events
        where onboarding_id = ${id} and type = 'user.sso_enforced' group by user_sid
      )
      select (select coalesce(sum(n), 0)::int from enforced) as events,
             (select count(*)::int from enforced) as users,
             (select count(*)::int from migration_list_entries e left join enforced a on a.user_sid = e.user_sid
              where e.list_id = ${listId} and a.n is distinct from 1) as listed_without_one`;
    expect(audit).toEqual([{ events: userCount, users: userCount, listed_without_one: 0 }]);
    expect(restarted.running()).toBe(true);
  }, 240_000);
});
