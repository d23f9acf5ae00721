// The rollout of an approved list: users enabled then enforced batch by batch, the counts of how far it
// got, the heads-up mail's recipients, and the revert of a cancel. Set-based SQL, one statement a batch.
// drizzle's postgres.js driver replaces the client's JSON and date serializers, so JSON goes in as text
// with a ::jsonb cast and dates as ISO strings.
import type postgres from 'postgres';
import { type AuditEventType, auditType } from './audit.js';

export type RolloutAction = 'enable' | 'enforce';

/**
 * One batch of enabling or enforcing, by cursor, in one statement: the users that need it change, every
 * entry of the batch is marked done (and whether this list changed its user), and each changed user
 * gets one audit event. A row already done is never touched again, so a retry changes nothing twice.
 */
export async function applyRolloutBatch(
  sql: postgres.Sql,
  input: { action: RolloutAction; listId: string; onboardingId: string; connectionId: string; afterUserSid: string; batchSize: number },
): Promise<{ processed: number; changed: number; lastUserSid: string | null }> {
  const enable = input.action === 'enable';
  const doneColumn = enable ? sql`enabled_at` : sql`enforced_at`;
  const byListColumn = enable ? sql`enabled_by_list` : sql`enforced_by_list`;
  // Enabling never touches a user already enabled or enforced; enforcing skips those already enforced here.
  // Neither ever takes a user from another connection (the list refused them; one moved since stays put).
  const needsChange = enable
    ? sql`u.sso_state = 'none' and u.connection_id is null`
    : sql`u.sso_state <> 'enforced' and (u.connection_id is null or u.connection_id = ${input.connectionId})`;
  const newState = enable ? sql`'enabled'::sso_state` : sql`'enforced'::sso_state`;
  const eventType: AuditEventType = enable ? 'user.sso_enabled' : 'user.sso_enforced';
  const [row] = await sql<{ processed: number; changed: number; last: string | null }[]>`
    with batch as (
      select e.user_sid, u.sso_state as previous_state, u.connection_id as previous_connection
      from migration_list_entries e join users u on u.sid = e.user_sid
      where e.list_id = ${input.listId} and not e.excluded and e.${doneColumn} is null and e.user_sid > ${input.afterUserSid}
      order by e.user_sid limit ${input.batchSize}
      for update of e skip locked
    ), changed as (
      update users u set sso_state = ${newState}, connection_id = ${input.connectionId}, updated_at = now()
      from batch b where u.sid = b.user_sid and ${needsChange}
      returning u.sid
    ), marked as (
      -- The state before this list first changed the user is kept, so a cancel can put it back.
      update migration_list_entries e set ${doneColumn} = now(), ${byListColumn} = c.sid is not null,
        previous_sso_state = case when c.sid is not null and e.previous_sso_state is null then b.previous_state else e.previous_sso_state end,
        previous_connection_id = case when c.sid is not null and e.previous_sso_state is null then b.previous_connection else e.previous_connection_id end
      from batch b left join changed c on c.sid = b.user_sid
      where e.list_id = ${input.listId} and e.user_sid = b.user_sid
      returning e.user_sid
    ), audited as (
      insert into audit_events (type, actor, user_sid, connection_id, onboarding_id, detail)
      select ${eventType}, 'onboarding', c.sid, ${input.connectionId}, ${input.onboardingId}, ${JSON.stringify({ listId: input.listId })}::jsonb from changed c
      returning 1
    )
    select (select count(*)::int from marked) as processed, (select count(*)::int from changed) as changed,
           (select max(user_sid) from marked) as last, (select count(*) from audited) as audited`;
  return { processed: row?.processed ?? 0, changed: row?.changed ?? 0, lastUserSid: row?.last ?? null };
}

/**
 * Rollout progress of a list's entries (aliased `e`): the one definition of these counts, used for one
 * list here and for every onboarding at once by the support overview and the metrics.
 */
export const progressCounts = (sql: postgres.Sql) => sql`
  count(*) filter (where not e.excluded)::int as total,
  count(*) filter (where not e.excluded and e.enabled_at is not null)::int as enabled,
  count(*) filter (where not e.excluded and e.enforced_at is not null)::int as enforced,
  count(*) filter (where e.excluded)::int as excluded`;

export async function rolloutProgress(sql: postgres.Sql, listId: string) {
  const [row] = await sql<{ total: number; enabled: number; enforced: number; excluded: number }[]>`
    select ${progressCounts(sql)} from migration_list_entries e where e.list_id = ${listId}`;
  return row ?? { total: 0, enabled: 0, enforced: 0, excluded: 0 };
}

/** Who gets the heads-up mail: everyone on the list who is not excluded, in SID order. */
export async function headsUpRecipients(sql: postgres.Sql, listId: string) {
  return await sql<{ user_sid: string; email: string }[]>`
    select user_sid, email from migration_list_entries where list_id = ${listId} and not excluded order by user_sid`;
}

/**
 * Cancel: batch by batch, each audited once. `enabled`: the users this list enforced go back to
 * `enabled` on this connection. `none`: every user this list changed (enabled or enforced) gets back
 * the state and connection they had before it (a pilot user stays a pilot user). A user who has since
 * moved to another connection is left where they are.
 */
export async function revertEnforcement(
  sql: postgres.Sql,
  input: { listId: string; onboardingId: string; connectionId: string; to: 'enabled' | 'none'; batchSize: number },
): Promise<{ processed: number; reverted: number }> {
  const restore = input.to === 'none';
  const changedByList = restore ? sql`(enabled_by_list or enforced_by_list)` : sql`enforced_by_list`;
  const newState = restore ? sql`coalesce(b.previous_sso_state, 'none'::sso_state)` : sql`'enabled'::sso_state`;
  const newConnection = restore
    ? sql`case when coalesce(b.previous_sso_state, 'none') = 'none' then null else b.previous_connection_id end`
    : sql`u.connection_id`;
  const stillHere = restore
    ? sql`u.connection_id = ${input.connectionId}`
    : sql`u.connection_id = ${input.connectionId} and u.sso_state = 'enforced'`;
  // Each batch unmarks its entries, so the next batch starts after them and a retry repeats nothing.
  const [row] = await sql<{ processed: number; reverted: number }[]>`
    with batch as (
      select user_sid, previous_sso_state, previous_connection_id from migration_list_entries
      where list_id = ${input.listId} and ${changedByList}
      order by user_sid limit ${input.batchSize}
      for update skip locked
    ), reverted as (
      update users u set sso_state = ${newState}, connection_id = ${newConnection}, updated_at = now()
      from batch b where u.sid = b.user_sid and ${stillHere}
      returning u.sid, u.sso_state::text as sso_state
    ), unmarked as (
      update migration_list_entries e
      set enforced_by_list = false,
          enabled_by_list = case when ${restore} then false else e.enabled_by_list end,
          enforced_at = case when exists (select 1 from reverted r where r.sid = e.user_sid) then null else e.enforced_at end,
          enabled_at = case when ${restore} and exists (select 1 from reverted r where r.sid = e.user_sid and r.sso_state = 'none') then null else e.enabled_at end
      from batch b where e.list_id = ${input.listId} and e.user_sid = b.user_sid
      returning 1
    ), audited as (
      insert into audit_events (type, actor, user_sid, connection_id, onboarding_id, detail)
      select ${auditType('user.sso_reverted')}, 'onboarding', r.sid, ${input.connectionId}, ${input.onboardingId},
        jsonb_build_object('listId', ${input.listId}::text, 'to', r.sso_state) from reverted r
      returning 1
    )
    select (select count(*)::int from unmarked) as processed, (select count(*)::int from reverted) as reverted, (select count(*) from audited) as audited`;
  return { processed: row?.processed ?? 0, reverted: row?.reverted ?? 0 };
}
