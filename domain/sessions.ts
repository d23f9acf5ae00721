import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { sessions, ssoConnections, users } from '../db/schema.js';

export const sessionCookieName = 'sso_session';
/** Upper bound of any session; an SSO session also ends at the assertion's SessionNotOnOrAfter. */
export const maxSessionMs = 8 * 60 * 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface NewSession {
  userSid: string;
  authMethod: 'password' | 'sso';
  connectionId: string | null;
  now: Date;
  notOnOrAfter?: Date;
}

/**
 * A new session's cookie value, the hash stored in its place, and its end: at most `maxSessionMs`
 * after `now`, and no later than the assertion's SessionNotOnOrAfter. For callers that write the
 * session row themselves (the ACS writes it in one statement with the replay record).
 */
export function newSessionToken(input: Pick<NewSession, 'now' | 'notOnOrAfter'>): { token: string; tokenHash: string; expiresAt: Date } {
  const token = randomBytes(32).toString('base64url');
  const cap = input.now.getTime() + maxSessionMs;
  const expiresAt = new Date(Math.min(cap, input.notOnOrAfter?.getTime() ?? cap));
  return { token, tokenHash: hashToken(token), expiresAt };
}

/** Returns the cookie value; only its hash is stored, so a database leak yields no usable session. */
export async function createSession(db: Pick<Db, 'insert'>, input: NewSession): Promise<{ token: string; expiresAt: Date }> {
  const { token, tokenHash, expiresAt } = newSessionToken(input);
  await db.insert(sessions).values({
    tokenHash,
    userSid: input.userSid,
    authMethod: input.authMethod,
    connectionId: input.connectionId,
    createdAt: input.now,
    expiresAt,
  });
  return { token, expiresAt };
}

/**
 * A session is good only while what granted it still holds, checked here where every request reads it,
 * so each path that changes a user or a connection (support's manual change, a rollout batch, a revert on
 * cancel, disabling a connection) ends the sessions it undermines without having to remember to:
 * - an SSO session: the user is still on SSO, through the same connection, and that connection is not disabled;
 * - a password session: the user is not enforced onto SSO (an enforced user signing in by password is refused).
 */
const stillGranted = sql<boolean>`coalesce(case ${sessions.authMethod}
  when 'sso' then ${users.ssoState} <> 'none' and ${users.connectionId} = ${sessions.connectionId} and ${ssoConnections.status} <> 'disabled'
  else ${users.ssoState} <> 'enforced' end, false)`;

export async function findSession(db: Db, token: string | undefined, now: Date) {
  if (!token || token.length > 100) return undefined;
  const tokenHash = hashToken(token);
  const [row] = await db
    .select({
      sid: users.sid,
      email: users.email,
      authMethod: sessions.authMethod,
      connectionId: sessions.connectionId,
      expiresAt: sessions.expiresAt,
      granted: stillGranted,
    })
    .from(sessions)
    .innerJoin(users, eq(users.sid, sessions.userSid))
    .leftJoin(ssoConnections, eq(ssoConnections.id, sessions.connectionId))
    .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.endedAt), gt(sessions.expiresAt, now)));
  if (!row) return undefined;
  const { granted, ...session } = row;
  if (granted) return session;
  // Recorded as ended, so the row says what the service now does with it.
  await db
    .update(sessions)
    .set({ endedAt: now })
    .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.endedAt)));
  return undefined;
}

export async function endSession(db: Db, token: string | undefined, now: Date) {
  if (!token || token.length > 100) return undefined;
  const [row] = await db
    .update(sessions)
    .set({ endedAt: now })
    .where(and(eq(sessions.tokenHash, hashToken(token)), isNull(sessions.endedAt)))
    .returning({ userSid: sessions.userSid, authMethod: sessions.authMethod, connectionId: sessions.connectionId });
  return row;
}

/** A user's sessions that would still sign them in now (not ended, not expired, still granted), newest first. */
export async function liveSessionsOf(db: Db, userSid: string, now: Date, limit = 50) {
  return await db
    .select({
      authMethod: sessions.authMethod,
      connectionId: sessions.connectionId,
      createdAt: sessions.createdAt,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.sid, sessions.userSid))
    .leftJoin(ssoConnections, eq(ssoConnections.id, sessions.connectionId))
    .where(and(eq(sessions.userSid, userSid), isNull(sessions.endedAt), gt(sessions.expiresAt, now), stillGranted))
    .orderBy(sql`${sessions.createdAt} desc`)
    .limit(limit);
}
