import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { sessions, users } from '../db/schema.js';

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

export async function findSession(db: Db, token: string | undefined, now: Date) {
  if (!token || token.length > 100) return undefined;
  const [row] = await db
    .select({
      sid: users.sid,
      email: users.email,
      authMethod: sessions.authMethod,
      connectionId: sessions.connectionId,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.sid, sessions.userSid))
    .where(and(eq(sessions.tokenHash, hashToken(token)), isNull(sessions.endedAt), gt(sessions.expiresAt, now)));
  return row;
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
