import { asc, eq } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db } from '../db/client.js';
import { pilotUsers } from '../db/schema.js';

export interface PilotUserReport {
  userSid: string;
  email: string;
  nominatedAt: Date;
  firstLoginAt: Date | null;
}

/** The pilot users of an onboarding and whether each has signed in through SSO, from PostgreSQL (no Temporal needed). */
export async function pilotUsersOf(db: Db, onboardingId: string): Promise<PilotUserReport[]> {
  return await db
    .select({
      userSid: pilotUsers.userSid,
      email: pilotUsers.email,
      nominatedAt: pilotUsers.nominatedAt,
      firstLoginAt: pilotUsers.firstLoginAt,
    })
    .from(pilotUsers)
    .where(eq(pilotUsers.onboardingId, onboardingId))
    .orderBy(asc(pilotUsers.email));
}

/** How many of the users keeping their passwords are named; the count is always exact. */
const keepersNamed = 50;

export interface PasswordKeepers {
  count: number;
  /** The first of them by email (at most 50). */
  emails: string[];
}

/**
 * Who keeps signing in with a password when the approved list is enforced: users SSO is enabled for on
 * this connection who are not on the list (pilot users the list left out, users support enabled by
 * hand) or whom the approver excluded. At the go-ahead they are named before it is given; at completion,
 * in the summary, so "complete" never hides them.
 */
export async function passwordKeepers(
  sql: postgres.Sql,
  input: { connectionId: string | null; listId: string | null },
): Promise<PasswordKeepers> {
  if (!input.connectionId) return { count: 0, emails: [] };
  const rows = await sql<{ email: string; total: number }[]>`
    select u.email, count(*) over ()::int as total from users u
    where u.connection_id = ${input.connectionId} and u.sso_state = 'enabled'
      and not exists (select 1 from migration_list_entries e
                      where e.list_id = ${input.listId ?? ''} and e.user_sid = u.sid and not e.excluded)
    order by u.email limit ${keepersNamed}`;
  return { count: rows[0]?.total ?? 0, emails: rows.map((r) => r.email) };
}

/**
 * Cancel with `revertTo: none`: the pilot users this onboarding switched on go back to no SSO, in one
 * audited statement (a pilot is small). Run after the list's revert, which puts listed pilot users back
 * to what the pilot left them. A user who has since moved to another connection, or been enforced by
 * someone else, is left as they are. Returns how many changed, and how many of those the list's revert
 * had not already counted.
 */
export async function revertPilotUsers(
  sql: postgres.Sql,
  input: { onboardingId: string; connectionId: string },
): Promise<{ reverted: number; newlyReverted: number }> {
  const [row] = await sql<{ reverted: number; newly: number }[]>`
    with reverted as (
      update users u set sso_state = 'none', connection_id = null, updated_at = now()
      from pilot_users p
      where p.onboarding_id = ${input.onboardingId} and p.enabled_by_pilot and p.user_sid = u.sid
        and u.connection_id = ${input.connectionId} and u.sso_state = 'enabled'
      returning u.sid
    ), unmarked as (
      update pilot_users p set enabled_by_pilot = false
      from reverted r where p.onboarding_id = ${input.onboardingId} and p.user_sid = r.sid
      returning 1
    ), audited as (
      insert into audit_events (type, actor, user_sid, connection_id, onboarding_id, detail)
      select 'user.sso_reverted', 'onboarding', r.sid, ${input.connectionId}, ${input.onboardingId},
        jsonb_build_object('pilot', true, 'to', 'none') from reverted r
      returning 1
    )
    select (select count(*)::int from reverted) as reverted,
           (select count(*)::int from reverted r where not exists (
              select 1 from migration_list_entries e join migration_lists l on l.id = e.list_id
              where l.onboarding_id = ${input.onboardingId} and e.user_sid = r.sid and e.previous_sso_state is not null)) as newly,
           (select count(*) from unmarked) as unmarked, (select count(*) from audited) as audited`;
  return { reverted: row?.reverted ?? 0, newlyReverted: row?.newly ?? 0 };
}
