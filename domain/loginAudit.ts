import type { Db } from '../db/client.js';
import type { Metrics } from '../lib/metrics.js';
import { type AuditEventType, recordAuditEvent } from './audit.js';

export interface LoginAttempt {
  method: 'password' | 'sso';
  /** `ok` for a success, otherwise the refusal's reason code. */
  reasonCode: string;
  traceId: string;
  connectionId?: string;
  userSid?: string;
  email?: string;
  ip?: string;
  detail?: string;
}

/** Every login attempt, success or refusal, leaves one audit event and one metric sample. */
export async function recordLoginAttempt(db: Db, metrics: Metrics, attempt: LoginAttempt): Promise<void> {
  metrics.loginResults.inc({ method: attempt.method, reason: attempt.reasonCode });
  await recordAuditEvent(db, auditEventOf(attempt));
}

function auditEventOf(attempt: LoginAttempt) {
  const type: AuditEventType = attempt.reasonCode === 'ok' ? 'login.succeeded' : 'login.refused';
  return {
    type,
    reasonCode: attempt.reasonCode,
    traceId: attempt.traceId,
    userSid: attempt.userSid,
    connectionId: attempt.connectionId,
    detail: {
      method: attempt.method,
      ...(attempt.email ? { email: attempt.email } : {}),
      ...(attempt.ip ? { ip: attempt.ip } : {}),
      ...(attempt.detail ? { detail: attempt.detail } : {}),
    },
  };
}

/** A queued `login.refused` event, named as its audit_events columns (undefined ones become null). */
interface QueuedRefusal {
  at: string;
  type: string;
  reason_code: string;
  trace_id: string;
  user_sid: string | undefined;
  connection_id: string | undefined;
  detail: Record<string, unknown>;
}

/** Refusal audit events, buffered and written as one multi-row insert (see `createRefusalAudit`). */
export interface RefusalAudit {
  /** Counts the metric now and queues the `login.refused` event for the next write. */
  record(attempt: LoginAttempt): void;
  /** Writes everything queued and waits for writes under way; for shutdown and tests. */
  flush(): Promise<void>;
}

export interface RefusalAuditOptions {
  intervalMs?: number;
  maxBatch?: number;
  onError?: (error: unknown, lost: number) => void;
}

/**
 * Refusals are audited in batches, so a flood of junk posts does not force one commit per request:
 * events are written at most `intervalMs` (200 ms) after the first one queued, or as soon as
 * `maxBatch` (200) are queued. Each event keeps the time of its refusal. One per app, flushed on
 * shutdown; an event still queued when the process dies unexpectedly is lost.
 */
export function createRefusalAudit(db: Db, metrics: Metrics, options: RefusalAuditOptions = {}): RefusalAudit {
  const intervalMs = options.intervalMs ?? 200;
  const maxBatch = options.maxBatch ?? 200;
  let queue: QueuedRefusal[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writing = new Set<Promise<void>>();

  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return Promise.resolve();
    const batch = queue;
    queue = [];
    // The whole batch is one JSON parameter, unpacked by PostgreSQL: building a multi-row insert with
    // seven parameters per event cost the API more than refusing the requests did (bench/RESULTS.md).
    const done = db.$client`
      insert into audit_events (at, type, reason_code, trace_id, user_sid, connection_id, detail)
      select at, type, reason_code, trace_id, user_sid, connection_id, detail
      from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb)
        as r(at timestamptz, type text, reason_code text, trace_id text, user_sid text, connection_id text, detail jsonb)`
      .then(
        () => undefined,
        (error: unknown) => options.onError?.(error, batch.length),
      )
      .finally(() => writing.delete(done));
    writing.add(done);
    return done;
  };

  return {
    record(attempt) {
      metrics.loginResults.inc({ method: attempt.method, reason: attempt.reasonCode });
      const event = auditEventOf(attempt);
      queue.push({
        at: new Date().toISOString(),
        type: event.type,
        reason_code: event.reasonCode,
        trace_id: event.traceId,
        user_sid: event.userSid,
        connection_id: event.connectionId,
        detail: event.detail,
      });
      if (queue.length >= maxBatch) void write();
      else if (!timer) {
        timer = setTimeout(() => void write(), intervalMs);
        timer.unref();
      }
    },
    async flush() {
      await write();
      await Promise.all([...writing]);
    },
  };
}
