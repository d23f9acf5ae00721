import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { PilotRefusal } from '../contract/onboarding.js';
import type { Db } from '../db/client.js';
import { onboardings, pilotUsers, users } from '../db/schema.js';
import { auditType, recordAuditEvent } from './audit.js';
import { asciiLower } from './directory.js';

export interface PilotNomination {
  onboardingId: string;
  connectionId: string;
  emails: string[];
  now: Date;
}

/**
 * Pilot users become `enabled` on the connection (never downgraded); unknown emails are reported.
 * Only users of the onboarding's domains who are on no other connection: a pilot must never hand
 * another customer's user to this IdP. The caller checks first that those domains are verified.
 */
export async function enablePilotUsers(db: Db, input: PilotNomination) {
  const wanted = [...new Set(input.emails.map((e) => asciiLower(e.trim())))];
  return await db.transaction(async (tx) => {
    const [onboarding] = await tx
      .select({ domains: onboardings.emailDomains })
      .from(onboardings)
      .where(eq(onboardings.id, input.onboardingId));
    const domains = new Set((onboarding?.domains ?? []).map((d) => asciiLower(d)));
    const candidates = await tx
      .select({ sid: users.sid, email: users.email, ssoState: users.ssoState, connectionId: users.connectionId })
      .from(users)
      .where(inArray(sql`lower(${users.email})`, wanted));
    // lower() folds lookalikes (the Kelvin sign onto k); only an ASCII-case-insensitive match counts.
    const matched = candidates.filter((u) => wanted.includes(asciiLower(u.email)));
    const refused: PilotRefusal[] = [];
    const found = matched.filter((u) => {
      const domain = asciiLower(u.email.split('@').pop() ?? '');
      if (!domains.has(domain)) {
        refused.push({ email: u.email, code: 'outside_domains', message: `${u.email} is not in this onboarding's email domains` });
        return false;
      }
      if (u.connectionId !== null && u.connectionId !== input.connectionId) {
        refused.push({ email: u.email, code: 'other_connection', message: `${u.email} signs in through another SSO connection` });
        return false;
      }
      return true;
    });
    for (const user of found) {
      let enabledByPilot = false;
      if (user.ssoState === 'none') {
        const changed = await tx
          .update(users)
          .set({ ssoState: 'enabled', connectionId: input.connectionId, updatedAt: input.now })
          .where(and(eq(users.sid, user.sid), eq(users.ssoState, 'none')))
          .returning({ sid: users.sid });
        enabledByPilot = changed.length > 0;
      }
      if (enabledByPilot) {
        await recordAuditEvent(tx, {
          type: 'user.sso_enabled',
          actor: 'onboarding',
          userSid: user.sid,
          connectionId: input.connectionId,
          onboardingId: input.onboardingId,
          detail: { pilot: true },
        });
      }
      // Whether the pilot switched the user on is kept (a cancel with revertTo none switches them off again).
      await tx
        .insert(pilotUsers)
        .values({ onboardingId: input.onboardingId, userSid: user.sid, email: user.email, enabledByPilot })
        .onConflictDoUpdate({
          target: [pilotUsers.onboardingId, pilotUsers.userSid],
          set: { enabledByPilot: sql`${pilotUsers.enabledByPilot} or excluded.enabled_by_pilot` },
        });
    }
    const known = new Set(matched.map((u) => asciiLower(u.email)));
    return {
      users: found.map((u) => ({ sid: u.sid, email: u.email })),
      unknownEmails: wanted.filter((e) => !known.has(e)),
      // In one order whatever order PostgreSQL found them in.
      refused: refused.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0)),
    };
  });
}

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
      select ${auditType('user.sso_reverted')}, 'onboarding', r.sid, ${input.connectionId}, ${input.onboardingId},
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
