import { randomBytes } from 'node:crypto';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type OnboardingActivities } from '../../activities/index.js';
import type { Database } from '../../db/client.js';
import { domainClaims, onboardings, ssoConnections } from '../../db/schema.js';
import { createMailer, type Mailer } from '../../domain/mail/outbox.js';
import type { Clock } from '../../lib/clock.js';
import type { Config } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { approvalSecret, testConfig } from './deps.js';
import { type SmtpSink, startSmtpSink } from './smtp.js';

export const hex = (bytes = 4) => randomBytes(bytes).toString('hex');
export const newUserSid = () => `US${hex(16)}`;

export interface ActivityHarness {
  activities: OnboardingActivities;
  config: Config;
  smtp: SmtpSink;
  close(): Promise<void>;
}

/** The activities as the worker builds them, on the run's PostgreSQL, mailing a real SMTP sink. */
export async function startActivityHarness(database: Database, clock: Clock): Promise<ActivityHarness> {
  const smtp = await startSmtpSink();
  const config = testConfig({ SMTP_URL: smtp.url, ALLOW_PRIVATE_IDP_URLS: 'true' });
  const logger = createLogger(config, 'test-activities');
  const mailer: Mailer = createMailer({ database, config, logger, clock });
  const activities = createActivities({ database, mailer, clock, config, logger, approvalSecret });
  return {
    activities,
    config,
    smtp,
    async close() {
      await mailer.close();
      await smtp.close();
    },
  };
}

export interface ActivityRun {
  env: MockActivityEnvironment;
  /** Every heartbeat's details, in order. */
  heartbeats: unknown[];
  /** Runs the activity in this attempt's context, typed by the activity itself. */
  run<A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R>;
}

/** One activity attempt: `info` sets what Temporal would pass, such as the last attempt's heartbeat details. */
export function activityAttempt(info: Partial<Info> = {}): ActivityRun {
  // The SDK logs every failed attempt as a warning; the tests assert on the failures themselves.
  const env = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  return { env, heartbeats, run: (activity, ...args) => env.run(activity, ...args) };
}

export interface OnboardingFixture {
  onboardingId: string;
  connectionId: string;
  domain: string;
}

/**
 * The onboarding row and its connection that migration lists, approval links and users refer to, holding
 * its domain (verified unless `verified: false`, as support's override leaves it).
 */
export async function newOnboarding(
  database: Database,
  domain = `acme-${hex()}.test`,
  { verified = true }: { verified?: boolean } = {},
): Promise<OnboardingFixture> {
  const onboardingId = `ob_${hex(12)}`;
  const connectionId = `conn_${hex(12)}`;
  await database.db.insert(onboardings).values({
    id: onboardingId,
    workflowId: `onboarding-${onboardingId}`,
    customerName: 'Acme',
    adminEmail: `it-admin@${domain}`,
    emailDomains: [domain],
    options: {},
  });
  await database.db.insert(ssoConnections).values({
    id: connectionId,
    onboardingId,
    customerName: 'Acme',
    idpEntityId: `https://idp.${domain}/saml`,
    ssoUrl: `https://idp.${domain}/sso`,
    ssoBinding: 'redirect',
    emailDomains: [domain],
    status: verified ? 'active' : 'draft',
  });
  await database.db.insert(domainClaims).values({
    domain,
    onboardingId,
    connectionId,
    ...(verified ? { verifiedAt: new Date(), verificationMethod: 'support' as const, verifiedBy: 'test' } : {}),
  });
  return { onboardingId, connectionId, domain };
}

export interface UserRow {
  sid: string;
  email: string;
}

/** Users in one statement, sorted by SID (the order a rollout walks them); optionally already enabled or enforced. */
export async function insertUsers(
  database: Database,
  emails: string[],
  state: { ssoState: 'none' } | { ssoState: 'enabled' | 'enforced'; connectionId: string } = { ssoState: 'none' },
): Promise<UserRow[]> {
  const sids = emails.map(newUserSid);
  const connectionId = state.ssoState === 'none' ? null : state.connectionId;
  const rows = await database.sql<UserRow[]>`
    insert into users (sid, email, sso_state, connection_id)
    select sid, email, ${state.ssoState}::sso_state, ${connectionId} from unnest(${sids}::text[], ${emails}::text[]) as u(sid, email)
    returning sid, email`;
  return [...rows].sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0));
}

export interface UserState {
  sid: string;
  ssoState: 'none' | 'enabled' | 'enforced';
  connectionId: string | null;
  updatedAt: string;
}

export async function userStates(database: Database, sids: string[]): Promise<Map<string, UserState>> {
  const rows = await database.sql<UserState[]>`
    select sid, sso_state as "ssoState", connection_id as "connectionId", updated_at::text as "updatedAt"
    from users where sid = any(${sids}::text[])`;
  return new Map(rows.map((r) => [r.sid, r]));
}

export const statesOf = async (database: Database, sids: string[]) => {
  const states = await userStates(database, sids);
  return sids.map((sid) => states.get(sid)?.ssoState);
};

/** How many audit events of this type the onboarding recorded, per user SID. */
export async function auditCounts(database: Database, onboardingId: string, type: string): Promise<Map<string, number>> {
  const rows = await database.sql<{ sid: string; n: number }[]>`
    select user_sid as sid, count(*)::int as n from audit_events
    where onboarding_id = ${onboardingId} and type = ${type} group by user_sid`;
  return new Map(rows.map((r) => [r.sid, r.n]));
}

export interface EntryRow {
  userSid: string;
  email: string;
  flags: string[];
  excluded: boolean;
  enabled: boolean;
  enforced: boolean;
}

export async function listEntries(database: Database, listId: string): Promise<EntryRow[]> {
  return await database.sql<EntryRow[]>`
    select user_sid as "userSid", email, flags, excluded, enabled_at is not null as enabled, enforced_at is not null as enforced
    from migration_list_entries where list_id = ${listId} order by user_sid`;
}
