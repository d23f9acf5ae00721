// The console's users and audit log (issue #13, item 3): the same domain functions as GET /api/users,
// PUT /api/users/:sid/sso and GET /api/audit-events; break-glass asks for a reason, kept in its audit
// event with actor support, and a refused form comes back as typed with every problem beside its field.

import { inArray } from 'drizzle-orm';
import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { users } from '../../db/schema.js';
import { type AuditFilter, auditCursors, auditEventsForExport, auditEventsPage } from '../../domain/auditLog.js';
import { lookUpUsers, setUserSsoState, userDirectoryDetail } from '../../domain/directory.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { emptyForm, type FormProblem, type FormState } from '../pages/forms.js';
import { sendPage } from '../pages/layout.js';
import { type AuditFilterValues, auditCsv, auditFilterFields, supportAuditPage } from '../pages/supportAudit.js';
import { supportUserPage, supportUserSearchPage, userPath } from '../pages/supportUsers.js';
import { auditEventsQuery, breakGlassForm, userLookupQuery, userSidSchema } from '../schemas.js';
import { supportConsole } from './supportShared.js';

/** At most this many rows in one CSV export: enough for an incident, bounded for the process and the spreadsheet. */
export const auditExportMaxRows = 10_000;

const labels: Record<string, string> = {
  q: 'Email or SID',
  state: 'New SSO state',
  reason: 'Reason',
  userSid: 'User SID',
  connectionId: 'Connection ID',
  onboardingId: 'Onboarding ID',
  type: 'Event type',
  from: 'From',
  to: 'Before',
  limit: 'Events per page',
  cursor: 'Page',
};

const zodProblems = (error: z.ZodError, rename: Record<string, string> = {}): FormProblem[] =>
  error.issues.map((issue) => {
    const path = String(issue.path[0] ?? '');
    const name = rename[path] ?? path;
    return { field: name, code: 'invalid_field', message: `${labels[name] ?? name}: ${issue.message}` };
  });

/** The named fields of a query or form; a repeated name (an array) is kept as given, for the schema to refuse. */
function fieldsOf(source: unknown, names: readonly string[]): Record<string, unknown> {
  const raw = (source && typeof source === 'object' ? source : {}) as Record<string, unknown>;
  return Object.fromEntries(names.filter((name) => raw[name] !== undefined).map((name) => [name, raw[name]]));
}

const asText = (value: unknown) => (typeof value === 'string' ? value : Array.isArray(value) ? value.join(', ') : '');

const notices: Record<string, { text: string; tone: 'ok' | 'warn' }> = {
  sso_changed: { text: 'The SSO state is changed, with your reason in the audit trail.', tone: 'ok' },
};

export function supportDirectoryRouter(deps: ApiDeps): Router {
  const { database, clock } = deps;
  const router = Router();
  const { signedIn, form } = supportConsole(deps);
  const cursors = auditCursors(deps.approvalSecret);

  const sidOf = (req: Request): string => {
    const sid = userSidSchema.safeParse(String(req.params.sid));
    if (!sid.success) throw new AppError('not_found', 404, `user ${String(req.params.sid)} not found`);
    return sid.data;
  };

  router.get('/support/users', signedIn, async (req, res) => {
    const raw = req.query.q;
    if (raw === undefined) return sendPage(res, supportUserSearchPage({ state: emptyForm() }));
    const state: FormState = { values: { q: asText(raw) }, problems: [] };
    const text = typeof raw === 'string' ? raw.trim() : raw;
    const by = userSidSchema.safeParse(text).success ? 'sid' : 'email';
    const query = userLookupQuery.safeParse(by === 'sid' ? { sid: text } : { email: text });
    if (!query.success) {
      state.problems = zodProblems(query.error, { email: 'q', sid: 'q' });
      return sendPage(res, supportUserSearchPage({ state, status: 400 }));
    }
    const { sid, email } = query.data;
    const found = await lookUpUsers(database.db, sid !== undefined ? { sid } : { email: email ?? '' }, clock.now());
    sendPage(res, supportUserSearchPage({ state, found, by }));
  });

  async function showUser(res: Response, sid: string, extra: { form?: FormState; status?: number; notice?: (typeof notices)[string] }) {
    sendPage(res, supportUserPage({ detail: await userDirectoryDetail(database.db, sid, clock.now()), ...extra }));
  }

  router.get('/support/users/:sid', signedIn, async (req, res) => {
    const notice = typeof req.query.done === 'string' ? notices[req.query.done] : undefined;
    await showUser(res, sidOf(req), { notice });
  });

  router.post('/support/users/:sid/sso', signedIn, form, async (req, res) => {
    const sid = sidOf(req);
    const given = fieldsOf(req.body, ['state', 'reason']);
    const values = { state: asText(given.state), reason: asText(given.reason) };
    const parsed = breakGlassForm.safeParse(given);
    if (!parsed.success) return await showUser(res, sid, { status: 400, form: { values, problems: zodProblems(parsed.error) } });
    try {
      await setUserSsoState(database.db, { sid, ...parsed.data, actor: 'support' });
    } catch (error) {
      // connection_required and unknown_connection (422), reason_required (400): the form's to show; a missing user is the error page's.
      if (!(error instanceof AppError) || error.httpStatus === 404 || error.httpStatus >= 500) throw error;
      const field = error.code === 'reason_required' ? 'reason' : 'state';
      return await showUser(res, sid, {
        status: error.httpStatus,
        form: { values, problems: [{ field, code: error.code, message: error.message }] },
      });
    }
    res.redirect(303, `${userPath(sid)}?done=sso_changed#h-sso`);
  });

  /** The filters as typed (empty fields dropped, as the GET form sends them all), and as parsed. */
  function auditQuery(req: Request, names: readonly string[]) {
    const given = Object.fromEntries(Object.entries(fieldsOf(req.query, names)).filter(([, value]) => value !== ''));
    const values: AuditFilterValues = Object.fromEntries(
      Object.entries(given)
        .filter(([name]) => name !== 'cursor')
        .map(([name, value]) => [name, asText(value)]),
    );
    return { values, parsed: auditEventsQuery.safeParse(given) };
  }

  const userEmails = async (sids: string[]) => {
    if (sids.length === 0) return new Map<string, string>();
    const rows = await database.db.select({ sid: users.sid, email: users.email }).from(users).where(inArray(users.sid, sids));
    return new Map(rows.map((row) => [row.sid, row.email]));
  };

  router.get('/support/audit', signedIn, async (req, res) => {
    const { values, parsed } = auditQuery(req, [...auditFilterFields, 'cursor', 'limit']);
    const state: FormState = { values, problems: [] };
    if (!parsed.success) {
      state.problems = zodProblems(parsed.error);
      return sendPage(res, supportAuditPage({ state, values, status: 400 }));
    }
    const { cursor, limit, ...filter } = parsed.data;
    try {
      const page = await auditEventsPage(database.sql, cursors, filter, { cursor, limit });
      const emails = await userEmails([...new Set(page.items.flatMap((e) => (e.userSid ? [e.userSid] : [])))]);
      sendPage(
        res,
        supportAuditPage({ state, values, events: page.items, nextCursor: page.nextCursor, paged: cursor !== undefined, emails }),
      );
    } catch (error) {
      // A cursor edited by hand, or carried over to other filters (domain/auditLog.ts signs it over both).
      if (!(error instanceof AppError) || error.httpStatus !== 400) throw error;
      state.problems = [
        {
          field: '',
          code: 'invalid_cursor',
          message: 'That page link is not one of this audit log with these filters: start again from the newest events.',
        },
      ];
      sendPage(res, supportAuditPage({ state, values, status: 400 }));
    }
  });

  router.get('/support/audit.csv', signedIn, async (req, res) => {
    const { parsed } = auditQuery(req, auditFilterFields);
    // An export is followed from the audit page's link; bad filters get the error page naming each problem.
    if (!parsed.success) throw parsed.error;
    const { cursor: _cursor, limit: _limit, ...filter } = parsed.data;
    const exported = await auditEventsForExport(database.sql, cursors, filter satisfies AuditFilter, auditExportMaxRows);
    const stamp = clock.now().toISOString().slice(0, 16).replace(/[-:]/g, '');
    res
      .status(200)
      .set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="audit-events-${stamp}.csv"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'X-Export-Truncated': String(exported.truncated),
      })
      .send(auditCsv(exported.items, exported.truncated ? { maxRows: auditExportMaxRows } : undefined));
  });

  return router;
}
