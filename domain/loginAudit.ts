import type { Db } from '../db/client.js';
import type { Metrics } from '../lib/metrics.js';
import { recordAuditEvent } from './audit.js';

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
  await recordAuditEvent(db, {
    type: attempt.reasonCode === 'ok' ? 'login.succeeded' : 'login.refused',
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
  });
}
