import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationSource } from '../../contract/onboarding.js';
import { auditEvents, mailOutbox, pilotUsers } from '../../db/schema.js';
import { approvalUrl, claimApproval, findApproval, issueApproval } from '../../domain/approvals.js';
import { releaseUser } from '../../domain/directory.js';
import { newListId } from '../../domain/migrationLists.js';
import {
  type ActivityHarness,
  activityAttempt,
  auditCounts,
  hex,
  insertUsers,
  listEntries,
  newOnboarding,
  newUserSid,
  type OnboardingFixture,
  startActivityHarness,
  statesOf,
  type UserRow,
  userStates,
} from '../support/activity-env.js';
import { testCertificate } from '../support/certs.js';
import { approvalSecret, fixedClock, testDatabase } from '../support/deps.js';
import { extractLinks } from '../support/smtp.js';

const database = testDatabase();
const now = new Date('2031-05-06T09:00:00Z');
const day = 24 * 3600 * 1000;
let harness: ActivityHarness;

beforeAll(async () => {
  harness = await startActivityHarness(database, fixedClock(now));
});
afterAll(async () => {
  await harness?.close();
  await database.close();
});

const activities = () => harness.activities;
const sidsOf = (users: UserRow[]) => users.map((u) => u.sid);
const emailsAt = (domain: string, ...locals: string[]) => locals.map((local) => `${local}@${domain}`);
const numbered = (domain: string, count: number) => Array.from({ length: count }, (_, i) => `user${i}.${hex(2)}@${domain}`);

/** A ready list of exactly these users, built the way the workflow builds one from SIDs. */
async function listOf(fixture: OnboardingFixture, users: UserRow[]) {
  return await activities().buildMigrationList({
    listId: newListId(),
    onboardingId: fixture.onboardingId,
    connectionDomains: [fixture.domain],
    source: { method: 'userSids', userSids: sidsOf(users) },
  });
}

/** The link a decision was made with, its exclusions stored against it as the approval route stores them. */
async function linkExcluding(fixture: OnboardingFixture, excludes: string[], decision: 'approve' | 'reject' = 'approve') {
  const tokenId = `apr_${hex(16)}`;
  await issueApproval(database.db, {
    tokenId,
    onboardingId: fixture.onboardingId,
    step: 'migration_list',
    approverEmail: `it-admin@${fixture.domain}`,
    subjectVersion: 1,
    expiresAt: new Date(now.getTime() + 7 * day),
    secret: approvalSecret,
    publicBaseUrl: harness.config.publicBaseUrl,
    now,
  });
  await claimApproval(database.db, tokenId, decision, now, excludes);
  return tokenId;
}

const rollout = (fixture: OnboardingFixture, listId: string, action: 'enable' | 'enforce', batchSize = 10) => ({
  action,
  listId,
  onboardingId: fixture.onboardingId,
  connectionId: fixture.connectionId,
  batchSize,
});

/** Runs the rollout to its end in a fresh attempt. */
async function rolloutToEnd(fixture: OnboardingFixture, listId: string, action: 'enable' | 'enforce', batchSize = 10) {
  const attempt = activityAttempt();
  return await attempt.run(activities().rolloutUsers, rollout(fixture, listId, action, batchSize));
}

/** An attempt cancelled right after its `batches`-th heartbeat; returns what it heartbeated. */
async function attemptCancelledAfter(fixture: OnboardingFixture, listId: string, batches: number, batchSize = 10) {
  const attempt = activityAttempt();
  attempt.env.on('heartbeat', () => {
    if (attempt.heartbeats.length === batches) attempt.env.cancel();
  });
  await expect(attempt.run(activities().rolloutUsers, rollout(fixture, listId, 'enable', batchSize))).rejects.toBeInstanceOf(
    CancelledFailure,
  );
  return attempt.heartbeats as { cursor: string; processed: number }[];
}

describe('rolloutUsers', () => {
  it('enables every listed user in batches, heartbeating the cursor and the running count', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 25));
    const list = await listOf(fixture, users);

    const attempt = activityAttempt();
    const result = await attempt.run(activities().rolloutUsers, rollout(fixture, list.listId, 'enable', 10));

    expect(result).toEqual({ processed: 25 });
    expect(attempt.heartbeats).toEqual([
      { cursor: users[9]?.sid, processed: 10 },
      { cursor: users[19]?.sid, processed: 20 },
      { cursor: users[24]?.sid, processed: 25 },
    ]);
    const states = await userStates(database, sidsOf(users));
    for (const user of users) expect(states.get(user.sid)).toMatchObject({ ssoState: 'enabled', connectionId: fixture.connectionId });
    expect((await listEntries(database, list.listId)).every((e) => e.enabled)).toBe(true);
  });

  it('records one user.sso_enabled audit event per user, attributed to the onboarding and connection', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 3));
    const list = await listOf(fixture, users);

    await rolloutToEnd(fixture, list.listId, 'enable');

    const events = await database.db.select().from(auditEvents).where(eq(auditEvents.onboardingId, fixture.onboardingId));
    const enabled = events.filter((e) => e.type === 'user.sso_enabled');
    expect(enabled.map((e) => e.userSid).sort()).toEqual(sidsOf(users));
    for (const event of enabled) {
      expect(event).toMatchObject({ actor: 'onboarding', connectionId: fixture.connectionId, detail: { listId: list.listId } });
    }
  });

  it('changes nothing when run again: no heartbeat, nothing processed, still one audit event per user', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 12));
    const list = await listOf(fixture, users);
    await rolloutToEnd(fixture, list.listId, 'enable', 5);
    const before = await userStates(database, sidsOf(users));

    const again = activityAttempt();
    const result = await again.run(activities().rolloutUsers, rollout(fixture, list.listId, 'enable', 5));

    expect(result).toEqual({ processed: 0 });
    expect(again.heartbeats).toEqual([]);
    expect(await userStates(database, sidsOf(users))).toEqual(before);
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_enabled');
    expect(users.map((u) => counts.get(u.sid))).toEqual(users.map(() => 1));
  });

  it('resumes after the cursor of the last heartbeat, leaving the users before it alone', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 25));
    const list = await listOf(fixture, users);
    const lastHeartbeat = { cursor: users[9]?.sid, processed: 10 };

    const retry = activityAttempt({ attempt: 2, heartbeatDetails: lastHeartbeat });
    const result = await retry.run(activities().rolloutUsers, rollout(fixture, list.listId, 'enable', 10));

    expect(result).toEqual({ processed: 25 });
    expect(retry.heartbeats).toEqual([
      { cursor: users[19]?.sid, processed: 20 },
      { cursor: users[24]?.sid, processed: 25 },
    ]);
    const states = await statesOf(database, sidsOf(users));
    expect(states.slice(0, 10)).toEqual(Array(10).fill('none'));
    expect(states.slice(10)).toEqual(Array(15).fill('enabled'));
  });

  it('skips users an earlier attempt enabled after its last heartbeat, enabling each user once', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 30));
    const list = await listOf(fixture, users);
    // The first attempt applied two batches, but only the first heartbeat reached the server.
    const [firstHeartbeat] = await attemptCancelledAfter(fixture, list.listId, 2);

    const retry = activityAttempt({ attempt: 2, heartbeatDetails: firstHeartbeat });
    const result = await retry.run(activities().rolloutUsers, rollout(fixture, list.listId, 'enable', 10));

    expect(result).toEqual({ processed: 20 });
    expect(retry.heartbeats).toEqual([{ cursor: users[29]?.sid, processed: 20 }]);
    expect(await statesOf(database, sidsOf(users))).toEqual(Array(30).fill('enabled'));
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_enabled');
    expect(users.map((u) => counts.get(u.sid))).toEqual(Array(30).fill(1));
  });

  it('never enables or enforces a user excluded from the list', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 6));
    const list = await listOf(fixture, users);
    const excluded = [users[1]?.sid, users[4]?.sid].filter((s) => s !== undefined);
    await activityAttempt().run(activities().decideMigrationList, {
      listId: list.listId,
      decision: 'approve',
      tokenId: await linkExcluding(fixture, excluded),
    });

    await rolloutToEnd(fixture, list.listId, 'enable', 2);
    const enforced = await rolloutToEnd(fixture, list.listId, 'enforce', 2);

    expect(enforced).toEqual({ processed: 4 });
    expect(await statesOf(database, excluded)).toEqual(['none', 'none']);
    const entries = await listEntries(database, list.listId);
    expect(entries.filter((e) => excluded.includes(e.userSid)).map((e) => [e.excluded, e.enabled, e.enforced])).toEqual([
      [true, false, false],
      [true, false, false],
    ]);
    const touched = await database.sql<{ n: number }[]>`
      select count(*)::int as n from audit_events where user_sid = any(${excluded}::text[])`;
    expect(touched[0]?.n).toBe(0);
  });

  it('enforce moves enabled users to enforced, one user.sso_enforced audit event each', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 7));
    const list = await listOf(fixture, users);
    await rolloutToEnd(fixture, list.listId, 'enable', 3);

    const result = await rolloutToEnd(fixture, list.listId, 'enforce', 3);

    expect(result).toEqual({ processed: 7 });
    expect(await statesOf(database, sidsOf(users))).toEqual(Array(7).fill('enforced'));
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_enforced');
    expect(users.map((u) => counts.get(u.sid))).toEqual(Array(7).fill(1));
    expect((await listEntries(database, list.listId)).every((e) => e.enforced)).toBe(true);
  });

  it('records no user.sso_enabled event for a listed user who was already enabled (a pilot user)', async () => {
    const fixture = await newOnboarding(database);
    const [pilot] = await insertUsers(database, emailsAt(fixture.domain, `pilot.${hex()}`), {
      ssoState: 'enabled',
      connectionId: fixture.connectionId,
    });
    const others = await insertUsers(database, numbered(fixture.domain, 2));
    if (!pilot) throw new Error('no pilot user');
    const list = await listOf(fixture, [pilot, ...others]);

    await rolloutToEnd(fixture, list.listId, 'enable');

    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_enabled');
    expect(counts.get(pilot.sid)).toBeUndefined();
    expect(others.map((u) => counts.get(u.sid))).toEqual([1, 1]);
  });

  it('stops on cancellation after a whole batch: every enforced user in a complete batch, each audited once', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 5_000), { ssoState: 'enabled', connectionId: fixture.connectionId });
    const list = await listOf(fixture, users);
    const attempt = activityAttempt();
    attempt.env.once('heartbeat', () => setTimeout(() => attempt.env.cancel(), 25));

    const outcome = attempt.run(activities().rolloutUsers, rollout(fixture, list.listId, 'enforce', 10));

    await expect(outcome).rejects.toBeInstanceOf(CancelledFailure);
    const [{ enforced } = { enforced: -1 }] = await database.sql<{ enforced: number }[]>`
      select count(*)::int as enforced from users where sid = any(${sidsOf(users)}::text[]) and sso_state = 'enforced'`;
    expect(enforced).toBeGreaterThan(0);
    expect(enforced).toBeLessThan(5_000);
    expect(enforced % 10).toBe(0);
    expect(attempt.heartbeats.at(-1)).toEqual({ cursor: users[enforced - 1]?.sid, processed: enforced });
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_enforced');
    expect(counts.size).toBe(enforced);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect((await listEntries(database, list.listId)).filter((e) => e.enforced)).toHaveLength(enforced);
  });
});

describe('buildMigrationList', () => {
  const build = (fixture: OnboardingFixture, source: MigrationSource, listId = newListId(), connectionDomains = [fixture.domain]) =>
    activityAttempt().run(activities().buildMigrationList, {
      listId,
      onboardingId: fixture.onboardingId,
      connectionDomains,
      source,
    });

  async function newAccount(members: UserRow[]) {
    const sid = `AC${hex(16)}`;
    await database.sql`insert into accounts (sid, name) values (${sid}, ${`Account ${sid.slice(-6)}`})`;
    for (const user of members) await database.sql`insert into memberships (account_sid, user_sid) values (${sid}, ${user.sid})`;
    return sid;
  }
  const flagsByEmail = async (listId: string) => new Map((await listEntries(database, listId)).map((e) => [e.email, e.flags]));

  it('by domain lists every user whose address is in that domain, and no one else', async () => {
    const fixture = await newOnboarding(database);
    const inDomain = await insertUsers(database, [`ann.${hex()}@${fixture.domain}`, `bob.${hex()}@${fixture.domain.toUpperCase()}`]);
    await insertUsers(database, [`ann.${hex()}@other-${hex()}.test`, `eve.${hex()}@sub.${fixture.domain}`]);

    const list = await build(fixture, { method: 'domain', domain: fixture.domain });

    expect(list).toMatchObject({ version: 1, method: 'domain', total: 2, flagged: 0, excluded: 0, status: 'ready', problems: [] });
    expect((await listEntries(database, list.listId)).map((e) => e.userSid)).toEqual(inDomain.map((u) => u.sid));
  });

  it('by user SIDs lists the known users and reports unknown and malformed SIDs instead of dropping them', async () => {
    const fixture = await newOnboarding(database);
    const known = await insertUsers(database, numbered(fixture.domain, 2));
    const unknown = [newUserSid(), 'not-a-sid'];

    const list = await build(fixture, { method: 'userSids', userSids: [...known.map((u) => u.sid), ...unknown] });

    expect(list).toMatchObject({ method: 'userSids', total: 2, status: 'ready' });
    expect(list.problems).toEqual([{ code: 'unknown_user_sids', message: expect.any(String), values: unknown }]);
    expect((await listEntries(database, list.listId)).map((e) => e.userSid)).toEqual(known.map((u) => u.sid));
  });

  it('by account SIDs lists the users of every account, each once', async () => {
    const fixture = await newOnboarding(database);
    const [shared, ...rest] = await insertUsers(database, numbered(fixture.domain, 4));
    if (!shared || rest.length !== 3) throw new Error('expected four users');
    const first = await newAccount([shared, rest[0] as UserRow]);
    const second = await newAccount([shared, rest[1] as UserRow, rest[2] as UserRow]);

    const list = await build(fixture, { method: 'accountSids', accountSids: [first, second] });

    expect(list).toMatchObject({ method: 'accountSids', total: 4, problems: [] });
    const sids = (await listEntries(database, list.listId)).map((e) => e.userSid);
    expect(sids.sort()).toEqual([shared, ...rest].map((u) => u.sid).sort());
  });

  it('by account SIDs reports accounts that are not on file', async () => {
    const fixture = await newOnboarding(database);
    const [user] = await insertUsers(database, numbered(fixture.domain, 1));
    const account = await newAccount(user ? [user] : []);
    const missing = `AC${hex(16)}`;

    const list = await build(fixture, { method: 'accountSids', accountSids: [account, missing] });

    expect(list.total).toBe(1);
    expect(list.problems).toEqual([{ code: 'unknown_account_sids', message: expect.any(String), values: [missing] }]);
  });

  it('flags users whose address is outside the connection domains', async () => {
    const fixture = await newOnboarding(database);
    const inside = `ann.${hex()}@${fixture.domain}`;
    const outside = `ann.${hex()}@gmail-${hex()}.test`;
    const users = await insertUsers(database, [inside, outside]);

    const list = await build(fixture, { method: 'userSids', userSids: sidsOf(users) });

    expect(list.flagged).toBe(1);
    const flags = await flagsByEmail(list.listId);
    expect(flags.get(outside)).toEqual(['outside_connection_domains']);
    expect(flags.get(inside)).toEqual([]);
  });

  it('flags plus-addressed and role mailboxes as possible aliases', async () => {
    const fixture = await newOnboarding(database);
    const person = `ann.${hex()}@${fixture.domain}`;
    const plus = `ann.${hex()}+sso@${fixture.domain}`;
    const sales = `Sales@${fixture.domain}`;
    await insertUsers(database, [person, plus, sales]);

    const list = await build(fixture, { method: 'domain', domain: fixture.domain });

    expect(list).toMatchObject({ total: 3, flagged: 2 });
    const flags = await flagsByEmail(list.listId);
    expect(flags.get(plus)).toEqual(['possible_alias']);
    expect(flags.get(sales)).toEqual(['possible_alias']);
    expect(flags.get(person)).toEqual([]);
  });

  it('flags shared-looking mailboxes too, but not a person whose name starts like a role', async () => {
    const fixture = await newOnboarding(database);
    const shared = ['it-shared', 'Sales.EMEA', 'noreply-billing', 'do-not-reply', 'finance-shared'].map((l) => `${l}@${fixture.domain}`);
    const people = ['italo.rossi', 'dev.patel', 'adminah', 'team.lead'].map((l) => `${l}@${fixture.domain}`);
    await insertUsers(database, [...shared, ...people]);

    const list = await build(fixture, { method: 'domain', domain: fixture.domain });

    const flags = await flagsByEmail(list.listId);
    expect(shared.map((e) => flags.get(e))).toEqual(shared.map(() => ['possible_alias']));
    expect(people.map((e) => flags.get(e))).toEqual(people.map(() => []));
  });

  it('returns the same list when called again with the same list ID', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 3));
    const listId = newListId();
    const first = await build(fixture, { method: 'domain', domain: fixture.domain }, listId);
    await insertUsers(database, numbered(fixture.domain, 2));

    const again = await build(fixture, { method: 'domain', domain: fixture.domain }, listId);

    expect(again).toEqual(first);
    expect((await listEntries(database, listId)).map((e) => e.userSid)).toEqual(sidsOf(users));
    const versions = await database.sql`select 1 from migration_lists where onboarding_id = ${fixture.onboardingId}`;
    expect(versions).toHaveLength(1);
  });

  it('records the build once in the audit log when retried with the same list ID', async () => {
    const fixture = await newOnboarding(database);
    await insertUsers(database, numbered(fixture.domain, 2));
    const listId = newListId();
    await build(fixture, { method: 'domain', domain: fixture.domain }, listId);

    await build(fixture, { method: 'domain', domain: fixture.domain }, listId);

    const built = await database.db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.onboardingId} = ${fixture.onboardingId} and ${auditEvents.type} = 'migration_list.built'`);
    expect(built).toHaveLength(1);
  });

  it('leaves out and names the users another connection serves, whatever the source, until support releases them', async () => {
    const fixture = await newOnboarding(database);
    const other = await newOnboarding(database);
    const [theirs, ours] = [
      await insertUsers(database, numbered(fixture.domain, 2), { ssoState: 'enforced', connectionId: other.connectionId }),
      await insertUsers(database, numbered(fixture.domain, 2)),
    ];
    const account = await newAccount([...(theirs as UserRow[]), ...ours]);

    for (const source of [
      { method: 'domain', domain: fixture.domain },
      { method: 'userSids', userSids: sidsOf([...theirs, ...ours]) },
      { method: 'accountSids', accountSids: [account] },
    ] as MigrationSource[]) {
      const list = await build(fixture, source);
      expect(list.total, source.method).toBe(2);
      expect(sidsOf(ours).every((sid) => list.problems.every((p) => !p.values.includes(sid)))).toBe(true);
      expect(list.problems.find((p) => p.code === 'other_connection')).toMatchObject({
        message: expect.stringMatching(/^2 users sign in through another SSO connection/),
        values: sidsOf(theirs).sort(),
      });
    }
    const [released] = theirs;
    await releaseUser(database.db, { sid: released?.sid as string, actor: 'support', reason: 'moved to the new company' });

    const after = await build(fixture, { method: 'domain', domain: fixture.domain });

    expect(after.total).toBe(3);
    expect(after.problems.find((p) => p.code === 'other_connection')?.values).toEqual([theirs[1]?.sid]);
    const [audit] = await database.db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.userSid} = ${released?.sid} and ${auditEvents.type} = 'user.released'`);
    expect(audit).toMatchObject({
      actor: 'support',
      connectionId: other.connectionId,
      detail: { from: 'enforced', reason: 'moved to the new company' },
    });
  });

  it('never moves a user another connection took after the list was built', async () => {
    const fixture = await newOnboarding(database);
    const other = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 3));
    const list = await listOf(fixture, users);
    const [taken] = users;
    await database.sql`update users set sso_state = 'enforced', connection_id = ${other.connectionId} where sid = ${taken?.sid as string}`;

    await rolloutToEnd(fixture, list.listId, 'enable');
    await rolloutToEnd(fixture, list.listId, 'enforce');

    const states = await userStates(database, sidsOf(users));
    expect(states.get(taken?.sid as string)).toMatchObject({ ssoState: 'enforced', connectionId: other.connectionId });
    for (const user of users.slice(1))
      expect(states.get(user.sid)).toMatchObject({ ssoState: 'enforced', connectionId: fixture.connectionId });
  });

  it('refuses a domain list for a domain that is not one of the onboarding’s, without building anything', async () => {
    const fixture = await newOnboarding(database);
    const other = await newOnboarding(database);
    await insertUsers(database, numbered(other.domain, 1));

    const refused = build(fixture, { method: 'domain', domain: other.domain });

    await expect(refused).rejects.toMatchObject({ type: 'domain_not_in_onboarding', nonRetryable: true });
    const [{ n } = { n: -1 }] = await database.sql<
      { n: number }[]
    >`select count(*)::int as n from migration_lists where onboarding_id = ${fixture.onboardingId}`;
    expect(n).toBe(0);
  });

  it('waits for the onboarding’s domains to be verified', async () => {
    const fixture = await newOnboarding(database, undefined, { verified: false });
    await insertUsers(database, numbered(fixture.domain, 1));

    await expect(build(fixture, { method: 'domain', domain: fixture.domain })).rejects.toMatchObject({
      type: 'domain_unverified',
      nonRetryable: true,
    });
  });

  it('numbers the versions of each onboarding from 1, one more for each new list ID', async () => {
    const fixture = await newOnboarding(database);
    const other = await newOnboarding(database);
    await insertUsers(database, numbered(fixture.domain, 1));
    const source = { method: 'domain', domain: fixture.domain } as const;

    const versions = [
      (await build(fixture, source)).version,
      (await build(fixture, source)).version,
      (await build(other, { method: 'domain', domain: other.domain })).version,
    ];

    expect(versions).toEqual([1, 2, 1]);
  });
});

describe('decideMigrationList', () => {
  async function readyList(count = 4) {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, count));
    return { fixture, users, list: await listOf(fixture, users) };
  }
  const decide = (input: Parameters<ActivityHarness['activities']['decideMigrationList']>[0]) =>
    activityAttempt().run(activities().decideMigrationList, input);
  const picked = (users: UserRow[], ...indexes: number[]) => indexes.map((i) => users[i]?.sid as string);

  it('approves the list with the users its link excluded', async () => {
    const { fixture, users, list } = await readyList();
    const excludes = picked(users, 0, 2);

    const decided = await decide({ listId: list.listId, decision: 'approve', tokenId: await linkExcluding(fixture, excludes) });

    expect(decided).toMatchObject({ listId: list.listId, version: list.version, status: 'approved', total: 4, excluded: 2 });
    const excluded = (await listEntries(database, list.listId)).filter((e) => e.excluded).map((e) => e.userSid);
    expect(excluded.sort()).toEqual([...excludes].sort());
  });

  it('approves with the users listed in a decision from an old history, which carries them', async () => {
    const { fixture, users, list } = await readyList();
    const excludes = picked(users, 1, 3);

    const decided = await decide({
      listId: list.listId,
      decision: 'approve',
      excludes,
      tokenId: await linkExcluding(fixture, picked(users, 0)),
    });

    expect(decided).toMatchObject({ status: 'approved', excluded: 2 });
    const excluded = (await listEntries(database, list.listId)).filter((e) => e.excluded).map((e) => e.userSid);
    expect(excluded.sort()).toEqual([...excludes].sort());
  });

  it('refuses, without retrying, to approve with an exclusion that is not on the list', async () => {
    const { fixture, list } = await readyList();
    const stranger = newUserSid();

    const decided = decide({ listId: list.listId, decision: 'approve', tokenId: await linkExcluding(fixture, [stranger]) });

    await expect(decided).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(decided).rejects.toMatchObject({ type: 'unknown_exclusions', nonRetryable: true, details: [[stranger]] });
  });

  it('names at most a hundred unknown exclusions, so a refusal stays small in the workflow history', async () => {
    const { fixture, list } = await readyList();
    const strangers = Array.from({ length: 150 }, newUserSid);

    const decided = decide({ listId: list.listId, decision: 'approve', tokenId: await linkExcluding(fixture, strangers) });

    const failure = await decided.catch((error: unknown) => error as ApplicationFailure);
    expect(failure).toMatchObject({ type: 'unknown_exclusions' });
    expect((failure as ApplicationFailure).details?.[0]).toEqual([...strangers].sort().slice(0, 100));
  });

  it('leaves the list as it was when an approval is refused for an unknown exclusion', async () => {
    const { fixture, users, list } = await readyList();

    const decided = decide({
      listId: list.listId,
      decision: 'approve',
      tokenId: await linkExcluding(fixture, [...picked(users, 1), newUserSid()]),
    });

    await expect(decided).rejects.toMatchObject({ type: 'unknown_exclusions' });
    const [row] = await database.sql<{ status: string; excluded: number }[]>`
      select status, excluded from migration_lists where id = ${list.listId}`;
    expect(row).toEqual({ status: 'ready', excluded: 0 });
    expect((await listEntries(database, list.listId)).some((e) => e.excluded)).toBe(false);
  });

  it('a rejection with exclusions yields the next version with them excluded, keeping earlier exclusions', async () => {
    const { fixture, users, list } = await readyList();
    const second = await decide({
      listId: list.listId,
      decision: 'reject',
      tokenId: await linkExcluding(fixture, picked(users, 0), 'reject'),
      reason: 'Ann left',
      nextListId: newListId(),
    });

    const third = await decide({
      listId: second.listId,
      decision: 'reject',
      tokenId: await linkExcluding(fixture, picked(users, 3), 'reject'),
      reason: 'Dan is a shared mailbox',
      nextListId: newListId(),
    });

    expect(third).toMatchObject({ version: list.version + 2, status: 'ready', total: 4, excluded: 2 });
    const excluded = (await listEntries(database, third.listId)).filter((e) => e.excluded).map((e) => e.userSid);
    expect(excluded.sort()).toEqual(picked(users, 0, 3).sort());
    const previous = await database.sql<{ status: string; rejection_reason: string }[]>`
      select status, rejection_reason from migration_lists where id = ${second.listId}`;
    expect(previous[0]).toEqual({ status: 'rejected', rejection_reason: 'Dan is a shared mailbox' });
  });

  it('a rejection refuses an exclusion that is not on the list rather than dropping it', async () => {
    const { fixture, list } = await readyList();

    const decided = decide({
      listId: list.listId,
      decision: 'reject',
      tokenId: await linkExcluding(fixture, [newUserSid()], 'reject'),
      reason: 'typo',
      nextListId: newListId(),
    });

    await expect(decided).rejects.toMatchObject({ type: 'unknown_exclusions', nonRetryable: true });
  });
});

describe('requestApproval', () => {
  async function approvalRequest(fixture?: OnboardingFixture) {
    const onboarding = fixture ?? (await newOnboarding(database));
    return {
      tokenId: `apr_${hex(16)}`,
      onboardingId: onboarding.onboardingId,
      customerName: 'Acme',
      step: 'migration_list' as const,
      approverEmail: `approver.${hex()}@${onboarding.domain}`,
      subjectVersion: 1,
      expiresAt: new Date(now.getTime() + 7 * day).toISOString(),
      reminderNumber: 0,
      context: { total: 12, flagged: 1, version: 1 },
    };
  }
  const request = (input: Awaited<ReturnType<typeof approvalRequest>>) => activityAttempt().run(activities().requestApproval, input);
  const mailsTo = (recipient: string) => harness.smtp.messages.filter((m) => m.to.includes(recipient));
  const linkFor = (tokenId: string) => approvalUrl(harness.config.publicBaseUrl, approvalSecret, tokenId);
  const tokenIn = (url: string) => url.slice(url.lastIndexOf('/') + 1);

  it('mails the approver a link that opens this step of this onboarding', async () => {
    const input = await approvalRequest();

    const issued = await request(input);

    expect(issued).toEqual({ tokenId: input.tokenId, expiresAt: input.expiresAt });
    const mail = await harness.smtp.waitFor((m) => m.to.includes(input.approverEmail));
    const link = extractLinks(mail).find((l) => l.includes('/approvals/'));
    expect(link).toBe(linkFor(input.tokenId));
    const approval = await findApproval(database.db, approvalSecret, tokenIn(link as string), now);
    expect(approval).toMatchObject({
      tokenId: input.tokenId,
      onboardingId: input.onboardingId,
      step: 'migration_list',
      approverEmail: input.approverEmail,
      subjectVersion: 1,
      state: 'valid',
    });
  });

  it('sends one mail when called again with the same token ID and reminder number', async () => {
    const input = await approvalRequest();
    await request(input);

    await request(input);

    expect(mailsTo(input.approverEmail)).toHaveLength(1);
  });

  it('sends a reminder with a higher reminder number as another mail carrying the same link', async () => {
    const input = await approvalRequest();
    await request(input);

    await request({ ...input, reminderNumber: 1 });

    const mails = mailsTo(input.approverEmail);
    expect(mails).toHaveLength(2);
    expect(mails.map((m) => extractLinks(m).filter((l) => l.includes('/approvals/')))).toEqual([
      [linkFor(input.tokenId)],
      [linkFor(input.tokenId)],
    ]);
  });

  it('cuts the link from the stored copy of the mail once it is sent', async () => {
    const input = await approvalRequest();

    await request(input);

    const [stored] = await database.db.select().from(mailOutbox).where(eq(mailOutbox.recipient, input.approverEmail));
    const token = tokenIn(linkFor(input.tokenId));
    expect(stored?.status).toBe('sent');
    expect(stored?.textBody).not.toContain(token);
    expect(stored?.htmlBody).not.toContain(token);
    expect(stored?.textBody).toContain('[approval link removed after sending]');
  });

  it('supersedes the earlier link of the step when asked with a new token ID', async () => {
    const fixture = await newOnboarding(database);
    const first = await approvalRequest(fixture);
    await request(first);

    await request({ ...first, tokenId: `apr_${hex(16)}`, subjectVersion: 2 });

    const earlier = await findApproval(database.db, approvalSecret, tokenIn(linkFor(first.tokenId)), now);
    expect(earlier?.state).toBe('superseded');
  });
});

describe('enablePilotUsers', () => {
  const enable = (fixture: OnboardingFixture, emails: string[]) =>
    activityAttempt().run(activities().enablePilotUsers, {
      onboardingId: fixture.onboardingId,
      connectionId: fixture.connectionId,
      emails,
    });

  it('enables the nominated users on the connection and records them as pilot users', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 2));

    const result = await enable(
      fixture,
      users.map((u) => u.email),
    );

    expect(result.users.map((u) => u.sid).sort()).toEqual(sidsOf(users));
    const states = await userStates(database, sidsOf(users));
    for (const user of users) expect(states.get(user.sid)).toMatchObject({ ssoState: 'enabled', connectionId: fixture.connectionId });
    const pilots = await database.db.select().from(pilotUsers).where(eq(pilotUsers.onboardingId, fixture.onboardingId));
    expect(pilots.map((p) => p.userSid).sort()).toEqual(sidsOf(users));
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_enabled');
    expect(users.map((u) => counts.get(u.sid))).toEqual([1, 1]);
  });

  it('matches nominated emails regardless of case and surrounding spaces', async () => {
    const fixture = await newOnboarding(database);
    const [user] = await insertUsers(database, [`ann.${hex()}@${fixture.domain}`]);
    if (!user) throw new Error('no user');

    const result = await enable(fixture, [`  ${user.email.toUpperCase()} `]);

    expect(result).toEqual({ users: [{ sid: user.sid, email: user.email }], unknownEmails: [], refused: [] });
  });

  it('does not take a lookalike address (Kelvin sign for K) for another user', async () => {
    const fixture = await newOnboarding(database);
    const local = `kate.${hex()}`;
    const [kate] = await insertUsers(database, [`${local}@${fixture.domain}`]);
    if (!kate) throw new Error('no user');

    const result = await enable(fixture, [`\u212A${local.slice(1)}@${fixture.domain}`]);

    expect(result.users).toEqual([]);
    expect(result.unknownEmails).toHaveLength(1);
    expect(await statesOf(database, [kate.sid])).toEqual(['none']);
  });

  it('never downgrades a nominated user who is already enforced', async () => {
    const fixture = await newOnboarding(database);
    const [user] = await insertUsers(database, [`ann.${hex()}@${fixture.domain}`], {
      ssoState: 'enforced',
      connectionId: fixture.connectionId,
    });
    if (!user) throw new Error('no user');

    await enable(fixture, [user.email]);

    expect(await statesOf(database, [user.sid])).toEqual(['enforced']);
    expect((await auditCounts(database, fixture.onboardingId, 'user.sso_enabled')).size).toBe(0);
  });

  it('reports nominated emails that match no user', async () => {
    const fixture = await newOnboarding(database);
    const [user] = await insertUsers(database, [`ann.${hex()}@${fixture.domain}`]);
    const ghost = `ghost.${hex()}@${fixture.domain}`;

    const result = await enable(fixture, [user?.email as string, ghost]);

    expect(result.unknownEmails).toEqual([ghost]);
    expect(result.users.map((u) => u.sid)).toEqual([user?.sid]);
  });

  it('changes and records nothing when the same users are nominated again', async () => {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, 2));
    const emails = users.map((u) => u.email);
    const first = await enable(fixture, emails);
    const before = await userStates(database, sidsOf(users));

    const again = await enable(fixture, emails);

    expect(again).toEqual(first);
    expect(await userStates(database, sidsOf(users))).toEqual(before);
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_enabled');
    expect(users.map((u) => counts.get(u.sid))).toEqual([1, 1]);
    const pilots = await database.db.select().from(pilotUsers).where(eq(pilotUsers.onboardingId, fixture.onboardingId));
    expect(pilots).toHaveLength(2);
  });
});

describe('validateIdpConfig', () => {
  const validate = (submission: Parameters<ActivityHarness['activities']['validateIdpConfig']>[0]) =>
    activityAttempt().run(activities().validateIdpConfig, submission);
  const fields = (certificates: string[]) => ({
    kind: 'fields' as const,
    entityId: 'https://idp.example.test/saml',
    ssoUrl: 'https://127.0.0.1/sso',
    ssoBinding: 'redirect' as const,
    certificates,
  });

  it('returns every problem of a bad submission as an answer instead of throwing', async () => {
    const result = await validate({ ...fields(['not a certificate']), entityId: ' ', ssoUrl: 'idp/sso' });

    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.map((p) => [p.field, p.code])).toEqual(
      expect.arrayContaining([
        ['entityId', 'entity_id_missing'],
        ['ssoUrl', expect.any(String)],
        ['certificates[0]', 'certificate_unparseable'],
      ]),
    );
  });

  it('accepts a good submission', async () => {
    const certificate = await testCertificate({ notBefore: new Date(now.getTime() - day), notAfter: new Date(now.getTime() + 365 * day) });

    const result = await validate(fields([certificate.pem]));

    expect(result).toMatchObject({ ok: true, config: { entityId: 'https://idp.example.test/saml', ssoBinding: 'redirect' } });
  });

  it('judges certificate validity by the activities clock, not the wall clock', async () => {
    const validToday = await testCertificate({ notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 30 * day) });

    const result = await validate(fields([validToday.pem]));

    expect(result.ok ? [] : result.problems.map((p) => p.code)).toEqual(['certificate_expired']);
  });
});

describe('revertEnforcement', () => {
  async function enforcedList(count: number) {
    const fixture = await newOnboarding(database);
    const users = await insertUsers(database, numbered(fixture.domain, count));
    const list = await listOf(fixture, users);
    await rolloutToEnd(fixture, list.listId, 'enable');
    await rolloutToEnd(fixture, list.listId, 'enforce');
    return { fixture, users, list };
  }
  const revert = (fixture: OnboardingFixture, listId: string, to: 'enabled' | 'none') =>
    activityAttempt().run(activities().revertEnforcement, {
      listId,
      onboardingId: fixture.onboardingId,
      connectionId: fixture.connectionId,
      to,
    });

  it('returns the users the list enforced to enabled, one user.sso_reverted audit event each', async () => {
    const { fixture, users, list } = await enforcedList(3);

    const reverted = await revert(fixture, list.listId, 'enabled');

    expect(reverted).toBe(3);
    const states = await userStates(database, sidsOf(users));
    for (const user of users) expect(states.get(user.sid)).toMatchObject({ ssoState: 'enabled', connectionId: fixture.connectionId });
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_reverted');
    expect(users.map((u) => counts.get(u.sid))).toEqual([1, 1, 1]);
    expect((await listEntries(database, list.listId)).some((e) => e.enforced)).toBe(false);
  });

  it('to none also detaches the users from the connection', async () => {
    const { fixture, users, list } = await enforcedList(2);

    await revert(fixture, list.listId, 'none');

    const states = await userStates(database, sidsOf(users));
    expect([...states.values()].map((s) => [s.ssoState, s.connectionId])).toEqual([
      ['none', null],
      ['none', null],
    ]);
  });

  it('to none gives every user the list changed the state and connection they had before it', async () => {
    const fixture = await newOnboarding(database);
    const [pilot] = await insertUsers(database, numbered(fixture.domain, 1), { ssoState: 'enabled', connectionId: fixture.connectionId });
    const fresh = await insertUsers(database, numbered(fixture.domain, 2));
    const users = [pilot as UserRow, ...fresh];
    const list = await listOf(fixture, users);
    await rolloutToEnd(fixture, list.listId, 'enable');
    await rolloutToEnd(fixture, list.listId, 'enforce');

    await revert(fixture, list.listId, 'none');

    const states = await userStates(database, sidsOf(users));
    expect(users.map((u) => [states.get(u.sid)?.ssoState, states.get(u.sid)?.connectionId])).toEqual([
      ['enabled', fixture.connectionId],
      ['none', null],
      ['none', null],
    ]);
    const reverted = await database.sql<{ sid: string; to: string }[]>`
      select user_sid as sid, detail->>'to' as to from audit_events
      where onboarding_id = ${fixture.onboardingId} and type = 'user.sso_reverted' order by user_sid`;
    expect(new Map(reverted.map((r) => [r.sid, r.to]))).toEqual(new Map(users.map((u, i) => [u.sid, i === 0 ? 'enabled' : 'none'])));
  });

  it('to none leaves alone a user who moved to another connection since', async () => {
    const { fixture, users, list } = await enforcedList(2);
    const other = await newOnboarding(database);
    const [moved] = users;
    await database.sql`update users set connection_id = ${other.connectionId} where sid = ${moved?.sid as string}`;

    await revert(fixture, list.listId, 'none');

    const states = await userStates(database, sidsOf(users));
    expect(states.get(moved?.sid as string)).toMatchObject({ ssoState: 'enforced', connectionId: other.connectionId });
    expect(states.get(users[1]?.sid as string)).toMatchObject({ ssoState: 'none', connectionId: null });
  });

  it('reverts nothing and records nothing when run again', async () => {
    const { fixture, users, list } = await enforcedList(2);
    await revert(fixture, list.listId, 'enabled');

    const again = await revert(fixture, list.listId, 'enabled');

    expect(again).toBe(0);
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_reverted');
    expect(users.map((u) => counts.get(u.sid))).toEqual([1, 1]);
  });

  it('leaves alone enforced users the list did not enforce: excluded ones and those not on it', async () => {
    const fixture = await newOnboarding(database);
    const enforcedElsewhere = { ssoState: 'enforced' as const, connectionId: fixture.connectionId };
    const [excludedUser] = await insertUsers(database, numbered(fixture.domain, 1), enforcedElsewhere);
    const [offList] = await insertUsers(database, numbered(fixture.domain, 1), enforcedElsewhere);
    const listed = await insertUsers(database, numbered(fixture.domain, 2));
    if (!excludedUser || !offList) throw new Error('expected two enforced users');
    const list = await listOf(fixture, [excludedUser, ...listed]);
    await activityAttempt().run(activities().decideMigrationList, {
      listId: list.listId,
      decision: 'approve',
      tokenId: await linkExcluding(fixture, [excludedUser.sid]),
    });
    await rolloutToEnd(fixture, list.listId, 'enable');
    await rolloutToEnd(fixture, list.listId, 'enforce');

    const reverted = await revert(fixture, list.listId, 'none');

    expect(reverted).toBe(2);
    expect(await statesOf(database, [excludedUser.sid, offList.sid])).toEqual(['enforced', 'enforced']);
    const counts = await auditCounts(database, fixture.onboardingId, 'user.sso_reverted');
    expect([counts.get(excludedUser.sid), counts.get(offList.sid)]).toEqual([undefined, undefined]);
  });

  it('leaves enforced a listed user who was already enforced before the rollout', async () => {
    const fixture = await newOnboarding(database);
    const [early] = await insertUsers(database, numbered(fixture.domain, 1), { ssoState: 'enforced', connectionId: fixture.connectionId });
    const others = await insertUsers(database, numbered(fixture.domain, 2));
    if (!early) throw new Error('no early user');
    const list = await listOf(fixture, [early, ...others]);
    await rolloutToEnd(fixture, list.listId, 'enable');
    await rolloutToEnd(fixture, list.listId, 'enforce');

    await revert(fixture, list.listId, 'enabled');

    expect(await statesOf(database, [early.sid])).toEqual(['enforced']);
  });
});
