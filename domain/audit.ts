import type { Db } from '../db/client.js';
import { auditEvents } from '../db/schema.js';

export interface AuditEvent {
  type: string;
  reasonCode?: string;
  traceId?: string;
  actor?: string;
  userSid?: string;
  connectionId?: string;
  onboardingId?: string;
  detail?: Record<string, unknown>;
  at?: Date;
}

/** Appends one audit event; callers pass a transaction when the event must commit with the change it records. */
export async function recordAuditEvent(db: Pick<Db, 'insert'>, event: AuditEvent): Promise<void> {
  await db.insert(auditEvents).values({ ...event, detail: event.detail ?? {}, at: event.at ?? new Date() });
}
