// Read-side queries for the pages that show a migration list: the approver's review and support's view.

import type postgres from 'postgres';
import type { ListStatus } from '../contract/vocabulary.js';

export interface MigrationListHeader {
  id: string;
  onboardingId: string;
  version: number;
  status: ListStatus;
  total: number;
  flagged: number;
  excluded: number;
  problems: { code: string; message: string; values: string[] }[];
}

export interface MigrationListRow {
  userSid: string;
  email: string;
  flags: string[];
  excluded: boolean;
  enabled: boolean;
  enforced: boolean;
}

export type MigrationListFilter = 'all' | 'flagged';

async function header(sql: postgres.Sql, where: postgres.PendingQuery<postgres.Row[]>): Promise<MigrationListHeader | undefined> {
  const [row] = await sql<
    {
      id: string;
      onboarding_id: string;
      version: number;
      status: MigrationListHeader['status'];
      total: number;
      flagged: number;
      excluded: number;
      problems: MigrationListHeader['problems'];
    }[]
  >`select id, onboarding_id, version, status, total, flagged, excluded, problems from migration_lists ${where} order by version desc limit 1`;
  if (!row) return undefined;
  const { onboarding_id: onboardingId, ...rest } = row;
  return { ...rest, onboardingId };
}

/** The version an approval link was issued for. */
export const migrationListVersion = (sql: postgres.Sql, onboardingId: string, version: number) =>
  header(sql, sql`where onboarding_id = ${onboardingId} and version = ${version}`);

/** The version the customer approved (the one enabled and enforced); a draft or rebuild after it is not it. */
export const approvedMigrationList = (sql: postgres.Sql, onboardingId: string) =>
  header(sql, sql`where onboarding_id = ${onboardingId} and status = 'approved'`);

/**
 * One numbered page of a list, in email order. Pages are numbered (not cursors) so a reviewer can go back
 * and see where they are; sorting one list is cheap enough for a page view even at 100,000 entries.
 */
export async function migrationListPage(
  sql: postgres.Sql,
  listId: string,
  options: { page: number; pageSize: number; filter: MigrationListFilter },
) {
  const flaggedOnly = options.filter === 'flagged';
  const [{ matching } = { matching: 0 }] = await sql<{ matching: number }[]>`
    select count(*)::int as matching from migration_list_entries
    where list_id = ${listId} and (${!flaggedOnly} or cardinality(flags) > 0)`;
  const pageCount = Math.max(1, Math.ceil(matching / options.pageSize));
  const page = Math.min(Math.max(1, Math.floor(options.page)), pageCount);
  const rows = await sql<{ user_sid: string; email: string; flags: string[]; excluded: boolean; enabled: boolean; enforced: boolean }[]>`
    select user_sid, email, flags, excluded, enabled_at is not null as enabled, enforced_at is not null as enforced
    from migration_list_entries
    where list_id = ${listId} and (${!flaggedOnly} or cardinality(flags) > 0)
    order by email, user_sid
    limit ${options.pageSize} offset ${(page - 1) * options.pageSize}`;
  const items: MigrationListRow[] = rows.map((r) => ({
    userSid: r.user_sid,
    email: r.email,
    flags: r.flags,
    excluded: r.excluded,
    enabled: r.enabled,
    enforced: r.enforced,
  }));
  return { items, page, pageCount, matching, pageSize: options.pageSize };
}

/**
 * The API's pages of a list: entries in SID order after a cursor (the last SID of the page before), so a
 * script can walk a list of any size in constant time per page. The review pages use `migrationListPage`.
 */
export async function migrationListEntriesAfter(sql: postgres.Sql, listId: string, cursor: string | undefined, limit: number) {
  const rows = await sql<{ user_sid: string; email: string; flags: string[]; excluded: boolean }[]>`
    select user_sid, email, flags, excluded from migration_list_entries
    where list_id = ${listId} and user_sid > ${cursor ?? ''}
    order by user_sid limit ${limit + 1}`;
  const items = rows.slice(0, limit).map((r) => ({ userSid: r.user_sid, email: r.email, flags: r.flags, excluded: r.excluded }));
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.userSid ?? null) : null };
}
