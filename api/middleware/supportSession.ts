import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gte, sql } from 'drizzle-orm';
import type { Response } from 'express';
import type { Db } from '../../db/client.js';
import { auditEvents } from '../../db/schema.js';
import { recordAuditEvent } from '../../domain/audit.js';

export const supportCookieName = 'sso_support';
const sessionMs = 8 * 60 * 60_000;
const digest = (value: string) => createHash('sha256').update(value).digest();

/** A dashboard session as its verified cookie names it. */
export interface SupportSession {
  /** SHA-256 of the cookie's nonce: names the session in the audit log without being usable as a cookie. */
  id: string;
  issuedAt: Date;
}

/**
 * The dashboard's sign-in: support types the API token once and gets a cookie that is an expiry, a nonce
 * and an HMAC over both under a key derived from the token. The cookie never holds the token, and
 * changing SUPPORT_API_TOKEN ends every dashboard session.
 */
export function supportSessions(token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  const key = token ? createHmac('sha256', token).update('support-dashboard-session').digest() : undefined;
  const mac = (payload: string) => (key ? createHmac('sha256', key).update(payload).digest('base64url') : '');
  return {
    enabled: key !== undefined,
    /** Digests compared, so the time taken says nothing about the token, whatever the length typed. */
    tokenMatches(candidate: string): boolean {
      return expected !== undefined && timingSafeEqual(digest(candidate), expected);
    },
    issue(now: Date): { value: string; expiresAt: Date } {
      const expiresAt = new Date(now.getTime() + sessionMs);
      const payload = `${expiresAt.getTime()}.${randomBytes(16).toString('base64url')}`;
      return { value: `${payload}.${mac(payload)}`, expiresAt };
    },
    /** The session a cookie carries when its MAC is good and it has not expired; whether it was signed out is `supportSessionEnded`'s question. */
    verify(value: string | undefined, now: Date): SupportSession | undefined {
      if (!key || !value || value.length > 200) return undefined;
      const match = /^(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (!match) return undefined;
      const [, expires, nonce, given] = match as unknown as [string, string, string, string];
      const good = timingSafeEqual(Buffer.from(given), Buffer.from(mac(`${expires}.${nonce}`)));
      if (!good || Number(expires) <= now.getTime()) return undefined;
      return { id: createHash('sha256').update(nonce).digest('hex'), issuedAt: new Date(Number(expires) - sessionMs) };
    },
  };
}

const signedOut = 'support.signed_out';

/**
 * Sign-out is recorded as an audit event naming the session, and that event is what revokes it: a copy of
 * the cookie (a shared machine, a proxy log) replayed after sign-out is refused on every instance. The
 * cookie is otherwise stateless, so the audit log is the one durable record of which sessions ended.
 */
export async function endSupportSession(db: Db, session: SupportSession, context: { traceId: string; ip: string | undefined; now: Date }) {
  await recordAuditEvent(db, {
    type: signedOut,
    actor: 'support',
    traceId: context.traceId,
    at: context.now,
    detail: { session: session.id, ip: context.ip },
  });
}

// API instances' clocks differ a little; a sign-out stamped by one just behind the issuer's still counts.
const clockSlackMs = 5 * 60_000;

/** Whether the session was signed out; only events since it was issued can name it (the type-and-time index). */
export async function supportSessionEnded(db: Db, session: SupportSession): Promise<boolean> {
  const since = new Date(session.issuedAt.getTime() - clockSlackMs);
  const [row] = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(and(eq(auditEvents.type, signedOut), gte(auditEvents.at, since), sql`${auditEvents.detail}->>'session' = ${session.id}`))
    .limit(1);
  return row !== undefined;
}

export function setSupportCookie(res: Response, value: string, expiresAt: Date, secure: boolean) {
  res.cookie(supportCookieName, value, { httpOnly: true, sameSite: 'strict', secure, path: '/support', expires: expiresAt });
}

export function clearSupportCookie(res: Response, secure: boolean) {
  res.clearCookie(supportCookieName, { httpOnly: true, sameSite: 'strict', secure, path: '/support' });
}
