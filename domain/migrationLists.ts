import { randomBytes } from 'node:crypto';
// drizzle's postgres.js driver replaces the client's JSON and date serializers, so JSON goes in as text
// with a ::jsonb cast and dates as ISO strings.
import type postgres from 'postgres';
import { type MigrationSource, type MigrationView, mintId } from '../contract/onboarding.js';
import { AppError } from '../lib/errors.js';

export const newListId = () => mintId('migrationList', randomBytes(12).toString('hex'));

// Role mailboxes and sub-addresses are often aliases that do not exist as people in the IdP (seed doc:
// "If an employee is using an alias that does not exist within your IdP, we may not be able to enable SSO").
const aliasLocalParts = [
  'admin',
  'administrator',
  'billing',
  'contact',
  'dev',
  'devops',
  'helpdesk',
  'hello',
  'info',
  'it',
  'noreply',
  'no-reply',
  'office',
  'ops',
  'root',
  'sales',
  'security',
  'support',
  'team',
  'test',
];

/**
 * Shared-looking mailboxes beyond the exact role names: a role word with more after a separator
 * (`it-shared@`, `sales.emea@`, `noreply-billing@`), or one that says it is shared or unanswered. Words
 * that are also first names (`dev`) or too common (`team`, `test`, `hello`) count only on their own.
 */
const sharedLocalPart = `^(${aliasLocalParts.filter((p) => !['dev', 'team', 'test', 'hello'].includes(p)).join('|')})[._-]|shared|no-?reply|do-?not-?reply`;

/** One SQL expression computing an entry's flags, shared by every way of building a list. */
const flagsSql = (sql: postgres.TransactionSql, domains: string[]) => sql`
  array_remove(array[
    case when lower(split_part(u.email, '@', 2)) <> all(${domains}::text[]) then 'outside_connection_domains' end,
    case when split_part(u.email, '@', 1) like '%+%'
           or lower(split_part(u.email, '@', 1)) = any(${aliasLocalParts}::text[])
           or lower(split_part(u.email, '@', 1)) ~ ${sharedLocalPart} then 'possible_alias' end
  ], null)`;

/**
 * Builds the next version of an onboarding's migration list in one set-based statement; the list
 * stays in PostgreSQL and only its ID, version and counts travel onwards.
 */
export async function buildMigrationList(
  sql: postgres.Sql,
  input: { listId: string; onboardingId: string; connectionDomains: string[]; source: MigrationSource; draft?: boolean },
): Promise<MigrationView & { created: boolean }> {
  const domains = input.connectionDomains.map((d) => d.toLowerCase());
  const built = await buildInTransaction(sql, input, domains);
  // A large list arrives in one statement, and autovacuum may take a minute or more to sample it: until then
  // the planner takes the table for a few rows and each rollout batch sorted every entry still to do (150 ms a
  // batch at 20,000 users, quadratic in the list). Sampling it now gives the rollout its keyset index scan.
  if (built.created && built.total >= analyzeListsFrom) await sql`analyze migration_list_entries`;
  return built;
}

/** Lists at least this long are sampled for the planner as soon as they are built. */
const analyzeListsFrom = 1000;

async function buildInTransaction(
  sql: postgres.Sql,
  input: Parameters<typeof buildMigrationList>[1],
  domains: string[],
): Promise<MigrationView & { created: boolean }> {
  return await sql.begin(async (tx) => {
    // Serialise builds of one onboarding so versions are consecutive and a retried build finds its list.
    const [onboarding] = await tx<{ connection_id: string | null }[]>`
      select coalesce(o.connection_id, (select c.id from sso_connections c where c.onboarding_id = o.id order by c.created_at limit 1)) as connection_id
      from onboardings o where o.id = ${input.onboardingId} for update of o`;
    const existing = await tx<{ version: number }[]>`select version from migration_lists where id = ${input.listId}`;
    if (existing[0]) return { ...(await summarize(tx, input.listId)), created: false };
    const [{ next } = { next: 1 }] = await tx<{ next: number }[]>`
      select coalesce(max(version), 0) + 1 as next from migration_lists where onboarding_id = ${input.onboardingId}`;
    const { source } = input;
    const params =
      source.method === 'domain'
        ? { domain: source.domain }
        : source.method === 'userSids'
          ? { count: source.userSids.length }
          : { accountSids: source.accountSids };
    await tx`insert into migration_lists (id, onboarding_id, version, method, params)
             values (${input.listId}, ${input.onboardingId}, ${next}, ${source.method}, ${JSON.stringify(params)}::jsonb)`;
    const problems: MigrationView['problems'] = [];
    // A user who signs in through another connection belongs to another customer's rollout: never
    // listed here (the list would move them), only named, until support releases them.
    const connectionId = onboarding?.connection_id ?? null;
    const free = tx`(u.connection_id is null or u.connection_id = ${connectionId ?? ''})`;
    if (source.method === 'domain') {
      await tx`insert into migration_list_entries (list_id, user_sid, email, flags)
               select ${input.listId}, u.sid, u.email, ${flagsSql(tx, domains)}
               from users u where lower(split_part(u.email, '@', 2)) = ${source.domain.toLowerCase()} and ${free}`;
      await nameUsersOfOtherConnections(
        problems,
        tx`select u.sid, u.email from users u where lower(split_part(u.email, '@', 2)) = ${source.domain.toLowerCase()} and not ${free}`,
      );
    } else if (source.method === 'userSids') {
      await tx`insert into migration_list_entries (list_id, user_sid, email, flags)
               select ${input.listId}, u.sid, u.email, ${flagsSql(tx, domains)}
               from users u where u.sid = any(${source.userSids}::text[]) and ${free}`;
      await nameUsersOfOtherConnections(
        problems,
        tx`select u.sid, u.email from users u where u.sid = any(${source.userSids}::text[]) and not ${free}`,
      );
      const unknown = await sidsNotOnFile(tx, 'users', source.userSids);
      if (unknown.length > 0) problems.push(notOnFile('user', unknown));
    } else {
      await tx`insert into migration_list_entries (list_id, user_sid, email, flags)
               select distinct on (u.sid) ${input.listId}, u.sid, u.email, ${flagsSql(tx, domains)}
               from memberships m join users u on u.sid = m.user_sid
               where m.account_sid = any(${source.accountSids}::text[]) and ${free}`;
      await nameUsersOfOtherConnections(
        problems,
        tx`select distinct u.sid, u.email from memberships m join users u on u.sid = m.user_sid
           where m.account_sid = any(${source.accountSids}::text[]) and not ${free}`,
      );
      const unknown = await sidsNotOnFile(tx, 'accounts', source.accountSids);
      if (unknown.length > 0) problems.push(notOnFile('account', unknown));
    }
    // A draft is a preview for support: nothing is mailed until it is sent (`sendDraftList`).
    const status = input.draft ? 'draft' : 'ready';
    const [{ total } = { total: 0 }] = await tx<{ total: number }[]>`
      with c as (select count(*)::int as total, count(*) filter (where cardinality(flags) > 0)::int as flagged
                 from migration_list_entries where list_id = ${input.listId})
      update migration_lists l set status = ${status}, total = c.total, flagged = c.flagged, excluded = 0
      from c where l.id = ${input.listId} returning c.total`;
    // A list of nobody is never sent for review: there would be nothing to approve.
    if (total === 0) problems.unshift(emptyList(source));
    await tx`update migration_lists set problems = ${JSON.stringify(problems)}::jsonb where id = ${input.listId}`;
    return { ...(await summarize(tx, input.listId)), created: true };
  });
}

/** How many SIDs a problem's message names; its `values` hold them all. */
const namedInMessage = 10;

const namedSids = (sids: string[]) =>
  `${sids.slice(0, namedInMessage).join(', ')}${sids.length > namedInMessage ? `, and ${sids.length - namedInMessage} more` : ''}`;

/** SIDs support asked for that are not on file: named in the message (the first ten) and listed in full. */
function notOnFile(kind: 'user' | 'account', unknown: string[]): MigrationView['problems'][number] {
  return {
    code: `unknown_${kind}_sids`,
    message: `${unknown.length} ${kind} SID${unknown.length === 1 ? ' is' : 's are'} not on file and ${unknown.length === 1 ? 'is' : 'are'} not on the list: ${namedSids(unknown)}`,
    values: unknown,
  };
}

/** Why a list has nobody on it, in the terms of how it was built. */
function emptyList(source: MigrationSource): MigrationView['problems'][number] {
  const why =
    source.method === 'domain'
      ? `no user with an address at ${source.domain} is free to move (none on file, or all on another SSO connection)`
      : source.method === 'userSids'
        ? 'none of the named users is on file and free to move'
        : 'the named accounts have no members on file who are free to move';
  return {
    code: 'empty_list',
    message: `The list has no users, so it is not sent for review: ${why}. Build it again from another source.`,
    values: [],
  };
}

/** How many of the refused users a problem names; the count is always exact. */
const namedRefusalsLimit = 1000;

/** Users left off the list because another connection serves them, named so support can release them (or not). */
async function nameUsersOfOtherConnections(
  problems: MigrationView['problems'],
  query: postgres.PendingQuery<postgres.Row[]>,
): Promise<void> {
  const rows = (await query) as unknown as { sid: string; email: string }[];
  if (rows.length === 0) return;
  rows.sort((a, b) => (a.sid < b.sid ? -1 : 1));
  const named = rows.slice(0, namedRefusalsLimit);
  problems.push({
    code: 'other_connection',
    message: `${rows.length} users sign in through another SSO connection and were left off the list (support can release them): ${named
      .slice(0, 10)
      .map((r) => r.email)
      .join(', ')}${rows.length > 10 ? ', …' : ''}`,
    values: named.map((r) => r.sid),
  });
}

/** The SIDs of `sids` that no row of `table` has: reported with the list, never silently dropped. */
async function sidsNotOnFile(tx: postgres.TransactionSql, table: 'users' | 'accounts', sids: string[]): Promise<string[]> {
  const rows = await tx<{ sid: string }[]>`
    select s.sid from unnest(${sids}::text[]) as s(sid) where not exists (select 1 from ${tx(table)} t where t.sid = s.sid)`;
  return rows.map((r) => r.sid);
}

async function summarize(sql: postgres.Sql | postgres.TransactionSql, listId: string): Promise<MigrationView> {
  const [row] = await sql<
    {
      id: string;
      version: number;
      method: MigrationSource['method'];
      total: number;
      flagged: number;
      excluded: number;
      status: MigrationView['status'];
      problems: MigrationView['problems'];
    }[]
  >`select id, version, method, total, flagged, excluded, status, problems from migration_lists where id = ${listId}`;
  if (!row) throw new AppError('not_found', 404, `migration list ${listId} not found`);
  return {
    listId: row.id,
    version: row.version,
    method: row.method,
    total: row.total,
    flagged: row.flagged,
    excluded: row.excluded,
    status: row.status,
    problems: row.problems,
  };
}

/** The onboarding a list belongs to, or undefined when there is no such list. */
export async function onboardingOfList(sql: postgres.Sql, listId: string): Promise<string | undefined> {
  const [row] = await sql<{ onboarding_id: string }[]>`select onboarding_id from migration_lists where id = ${listId}`;
  return row?.onboarding_id;
}

export async function getMigrationListSummary(sql: postgres.Sql, listId: string): Promise<MigrationView> {
  return summarize(sql, listId);
}

/**
 * The users one decision excluded: stored against its approval link (`approval_exclusions`, written
 * when the link was claimed), or listed in the decision itself by histories from before that.
 */
export type ExclusionSource = { tokenId: string } | { userSids: string[] };

const excludedSids = (sql: postgres.Sql | postgres.TransactionSql, source: ExclusionSource) =>
  'tokenId' in source
    ? sql`select user_sid from approval_exclusions where token_id = ${source.tokenId}`
    : sql`select unnest(${source.userSids}::text[])`;

/** How many SIDs of those not on a list are named in a refusal; the count says how many there were. */
const unknownReported = 100;

/** SIDs that are not entries of this list (the first `limit`, in SID order): reported, never silently dropped. */
export async function notOnList(
  sql: postgres.Sql | postgres.TransactionSql,
  listId: string,
  source: ExclusionSource,
  limit = unknownReported,
): Promise<string[]> {
  if ('userSids' in source && source.userSids.length === 0) return [];
  const rows = await sql<{ sid: string }[]>`
    select s.sid from (${excludedSids(sql, source)}) as s(sid)
    where not exists (select 1 from migration_list_entries e where e.list_id = ${listId} and e.user_sid = s.sid)
    order by s.sid limit ${limit}`;
  return rows.map((r) => r.sid);
}

/** Marks the given users excluded in this version; with any SID not on the list, changes nothing and reports it. */
export async function excludeEntries(sql: postgres.Sql, listId: string, source: ExclusionSource) {
  return await sql.begin(async (tx) => {
    const unknown = await notOnList(tx, listId, source);
    if (unknown.length > 0 || ('userSids' in source && source.userSids.length === 0)) return { excluded: 0, unknown };
    const [{ excluded } = { excluded: 0 }] = await tx<{ excluded: number }[]>`
      with updated as (
        update migration_list_entries set excluded = true
        where list_id = ${listId} and user_sid in (${excludedSids(tx, source)}) returning 1
      ) select count(*)::int as excluded from updated`;
    await tx`update migration_lists set excluded = (select count(*)::int from migration_list_entries where list_id = ${listId} and excluded) where id = ${listId}`;
    return { excluded, unknown };
  });
}

/** A rejection with exclusions: the next version copies this one with the exclusions applied. */
export async function reviseMigrationList(
  sql: postgres.Sql,
  input: { fromListId: string; listId: string; excludes: ExclusionSource },
): Promise<{ ok: true; list: MigrationView } | { ok: false; unknown: string[] }> {
  return await sql.begin(async (tx) => {
    const existing = await tx`select 1 from migration_lists where id = ${input.listId}`;
    if (existing.length > 0) return { ok: true as const, list: await summarize(tx, input.listId) };
    const unknown = await notOnList(tx, input.fromListId, input.excludes);
    if (unknown.length > 0) return { ok: false as const, unknown };
    const [from] = await tx<{ onboarding_id: string; method: string; params: unknown; problems: unknown }[]>`
      select onboarding_id, method, params, problems from migration_lists where id = ${input.fromListId} for update`;
    if (!from) throw new AppError('not_found', 404, `migration list ${input.fromListId} not found`);
    const [{ next } = { next: 1 }] = await tx<{ next: number }[]>`
      select coalesce(max(version), 0) + 1 as next from migration_lists where onboarding_id = ${from.onboarding_id}`;
    await tx`insert into migration_lists (id, onboarding_id, version, method, params, status, problems)
             values (${input.listId}, ${from.onboarding_id}, ${next}, ${from.method}, ${JSON.stringify(from.params as postgres.JSONValue)}::jsonb, 'building', ${JSON.stringify(from.problems as postgres.JSONValue)}::jsonb)`;
    await tx`insert into migration_list_entries (list_id, user_sid, email, flags, excluded)
             select ${input.listId}, user_sid, email, flags, excluded or user_sid in (${excludedSids(tx, input.excludes)})
             from migration_list_entries where list_id = ${input.fromListId}`;
    await tx`update migration_lists l set status = 'ready', total = c.total, flagged = c.flagged, excluded = c.excluded
             from (select count(*)::int as total, count(*) filter (where cardinality(flags) > 0)::int as flagged,
                          count(*) filter (where excluded)::int as excluded
                   from migration_list_entries where list_id = ${input.listId}) c
             where l.id = ${input.listId}`;
    return { ok: true as const, list: await summarize(tx, input.listId) };
  });
}

/** Sends a draft: it becomes the version for review (`ready`). A list that is no draft is left as it is. */
export async function sendDraftList(sql: postgres.Sql, listId: string): Promise<MigrationView> {
  await sql`update migration_lists set status = 'ready' where id = ${listId} and status = 'draft'`;
  return await summarize(sql, listId);
}

export async function setMigrationListStatus(sql: postgres.Sql, listId: string, status: 'approved' | 'rejected', reason?: string) {
  await sql`update migration_lists set status = ${status}, rejection_reason = ${reason ?? null} where id = ${listId}`;
}
