// Reading the audit trail: one filtered, newest-first page at a time with a keyset cursor, shared by
// GET /api/audit-events, the console's audit log and its CSV export, and the CLI's `audit` tail.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type postgres from 'postgres';
import { AppError } from '../lib/errors.js';

export interface AuditFilter {
  userSid?: string;
  connectionId?: string;
  onboardingId?: string;
  type?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

export interface AuditEventView {
  /** The event's sequence number: the CLI's tail uses it to print each event once. */
  id: string;
  at: string;
  type: string;
  reasonCode: string | null;
  traceId: string | null;
  userSid: string | null;
  connectionId: string | null;
  onboardingId: string | null;
  actor: string | null;
  detail: Record<string, unknown>;
}

export const auditPageSize = { default: 50, max: 500 } as const;

/** Where a page ended: the exact (microsecond) time and ID of its last event, so the next page starts right after it. */
interface Position {
  at: string;
  id: string;
}

const invalidCursor = () =>
  new AppError(
    'invalid_request',
    400,
    'cursor: not a cursor of this audit log with these filters (use the nextCursor of the page before)',
    [{ path: 'cursor', message: 'not a cursor of this audit log with these filters' }],
  );

const filterKey = (f: AuditFilter) =>
  JSON.stringify([
    f.userSid ?? '',
    f.connectionId ?? '',
    f.onboardingId ?? '',
    f.type ?? '',
    f.from?.toISOString() ?? '',
    f.to?.toISOString() ?? '',
  ]);

/**
 * Cursors are signed over the position and the filters: a cursor edited by hand, or carried over to other
 * filters, is refused with a 400 instead of quietly starting somewhere else.
 */
export function auditCursors(secret: string) {
  const key = createHmac('sha256', secret).update('audit-event-cursor').digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url').slice(0, 22);
  return {
    encode(position: Position, filter: AuditFilter): string {
      const payload = Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
      return `${payload}.${sign(`${payload}|${filterKey(filter)}`)}`;
    },
    decode(cursor: string, filter: AuditFilter): Position {
      const [payload, mac, ...rest] = cursor.split('.');
      if (!payload || !mac || rest.length > 0) throw invalidCursor();
      const expected = Buffer.from(sign(`${payload}|${filterKey(filter)}`));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
      const [at, id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [string, string];
      return { at, id };
    },
  };
}
export type AuditCursors = ReturnType<typeof auditCursors>;

interface AuditRow {
  id: string;
  at_exact: string;
  at: string;
  type: string;
  reason_code: string | null;
  trace_id: string | null;
  user_sid: string | null;
  connection_id: string | null;
  onboarding_id: string | null;
  actor: string | null;
  detail: Record<string, unknown>;
}

const viewOf = (row: AuditRow): AuditEventView => ({
  id: row.id,
  at: row.at,
  type: row.type,
  reasonCode: row.reason_code,
  traceId: row.trace_id,
  userSid: row.user_sid,
  connectionId: row.connection_id,
  onboardingId: row.onboarding_id,
  actor: row.actor,
  detail: row.detail,
});

/**
 * One page of audit events matching every filter given, newest first. Each filter has an index led by its
 * column and ending in (at, id) (db/schema.ts), so a page reads only the rows it shows, however long the trail.
 */
export async function auditEventsPage(
  sql: postgres.Sql,
  cursors: AuditCursors,
  filter: AuditFilter,
  page: { cursor?: string; limit: number },
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  const after = page.cursor === undefined ? undefined : cursors.decode(page.cursor, filter);
  // Times go in as text: postgres.js would turn a timestamptz parameter into a Date, dropping the microseconds
  // PostgreSQL keeps, and the next page would skip the events of the same millisecond.
  const rows = await sql<AuditRow[]>`
    select id::text, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at_exact,
      to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, type, reason_code,
      trace_id, user_sid, connection_id, onboarding_id, actor, detail
    from audit_events
    where true
      ${filter.userSid === undefined ? sql`` : sql`and user_sid = ${filter.userSid}`}
      ${filter.connectionId === undefined ? sql`` : sql`and connection_id = ${filter.connectionId}`}
      ${filter.onboardingId === undefined ? sql`` : sql`and onboarding_id = ${filter.onboardingId}`}
      ${filter.type === undefined ? sql`` : sql`and type = ${filter.type}`}
      ${filter.from === undefined ? sql`` : sql`and at >= ${filter.from.toISOString()}::text::timestamptz`}
      ${filter.to === undefined ? sql`` : sql`and at < ${filter.to.toISOString()}::text::timestamptz`}
      ${after === undefined ? sql`` : sql`and (at, id) < (${after.at}::text::timestamptz, ${after.id}::bigint)`}
    order by at desc, id desc
    limit ${page.limit + 1}`;
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    items: shown.map(viewOf),
    nextCursor: rows.length > page.limit && last ? cursors.encode({ at: last.at_exact, id: last.id }, filter) : null,
  };
}

/** Every event matching the filters up to `maxRows`, newest first, for an export; `truncated` says more matched. */
export async function auditEventsForExport(
  sql: postgres.Sql,
  cursors: AuditCursors,
  filter: AuditFilter,
  maxRows: number,
): Promise<{ items: AuditEventView[]; truncated: boolean }> {
  const items: AuditEventView[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await auditEventsPage(sql, cursors, filter, { cursor, limit: Math.min(auditPageSize.max, maxRows - items.length) });
    items.push(...page.items);
    if (!page.nextCursor) return { items, truncated: false };
    if (items.length >= maxRows) return { items, truncated: true };
    cursor = page.nextCursor;
  }
}
