import { auditCursors, auditEventsPage } from '../../domain/auditLog.js';
import { type ApiRoute, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { auditEventsResponse } from '../responses.js';
import { auditEventsQuery } from '../schemas.js';

/** The audit trail, filtered, newest first, a page at a time (support token). */
export function auditEventRoutes({ database, approvalSecret }: ApiDeps): ApiRoute[] {
  const cursors = auditCursors(approvalSecret);
  return [
    {
      method: 'get',
      path: '/audit-events',
      operationId: 'listAuditEvents',
      tag: 'audit',
      summary: 'Audit events matching every filter given, newest first; follow nextCursor (with the same filters) for older ones',
      query: auditEventsQuery,
      responses: {
        200: { description: 'A page of events', schema: auditEventsResponse },
        400: invalidRequest,
      },
      async handler(req, res) {
        const { cursor, limit, ...filter } = auditEventsQuery.parse(req.query);
        res.json(await auditEventsPage(database.sql, cursors, filter, { cursor, limit }));
      },
    },
  ];
}
