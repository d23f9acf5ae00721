import { randomBytes } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { mintId, type SsoState } from '../contract/vocabulary.js';
import type { Db } from '../db/client.js';
import { accounts, memberships, ssoConnections, users } from '../db/schema.js';
import { AppError, conflict, notFound } from '../lib/errors.js';
import { recordAuditEvent } from './audit.js';
import { hashPassword } from './passwords.js';

export interface UserView {
  sid: string;
  email: string;
  ssoState: SsoState;
  connectionId: string | null;
}

export async function createAccount(db: Db, input: { name: string }): Promise<{ sid: string }> {
  const sid = mintId('account', randomBytes(16).toString('hex'));
  await db.insert(accounts).values({ sid, name: input.name });
  return { sid };
}

export async function createUser(
  db: Db,
  input: { email: string; password?: string; accountSids?: string[] },
): Promise<{ sid: string; email: string }> {
  const sid = mintId('user', randomBytes(16).toString('hex'));
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const accountSids = [...new Set(input.accountSids ?? [])];
  return await db.transaction(async (tx) => {
    if (accountSids.length > 0) {
      const found = await tx.select({ sid: accounts.sid }).from(accounts).where(inArray(accounts.sid, accountSids));
      const missing = accountSids.filter((s) => !found.some((f) => f.sid === s));
      if (missing.length > 0) throw new AppError('unknown_account', 422, `unknown account SIDs: ${missing.join(', ')}`, { missing });
    }
    const inserted = await tx
      .insert(users)
      .values({ sid, email: input.email, passwordHash })
      .onConflictDoNothing()
      .returning({ sid: users.sid });
    if (inserted.length === 0) throw conflict('email_taken', `a user with the email ${input.email} already exists`);
    if (accountSids.length > 0) {
      await tx.insert(memberships).values(accountSids.map((accountSid) => ({ accountSid, userSid: sid })));
    }
    return { sid, email: input.email };
  });
}

/** Case folding of A-Z only: PostgreSQL's lower() follows the locale and folds lookalikes such as the Kelvin sign onto k. */
export const asciiLower = (value: string) => value.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * The user with this email, matched case-insensitively in ASCII only, so `\u212Aate@x` (Kelvin sign)
 * never finds kate@x. The index on lower(email) narrows the search; the exact check decides.
 */
export async function findUserByEmail(db: Db, email: string) {
  const candidates = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
  return candidates.find((user) => asciiLower(user.email) === asciiLower(email));
}

export async function getUser(db: Db, sid: string): Promise<UserView> {
  const [user] = await db
    .select({ sid: users.sid, email: users.email, ssoState: users.ssoState, connectionId: users.connectionId })
    .from(users)
    .where(eq(users.sid, sid));
  if (!user) throw notFound(`user ${sid}`);
  return user;
}

/** Support's manual change and break-glass: audited with who did it and why. */
export async function setUserSsoState(
  db: Db,
  input: { sid: string; state: SsoState; connectionId?: string; actor: string; reason?: string },
): Promise<UserView> {
  return await db.transaction(async (tx) => {
    const [current] = await tx.select().from(users).where(eq(users.sid, input.sid)).for('update');
    if (!current) throw notFound(`user ${input.sid}`);
    const connectionId = input.connectionId ?? current.connectionId;
    if (input.state !== 'none') {
      if (!connectionId) {
        throw new AppError('connection_required', 422, `connectionId is required to set SSO to ${input.state}: the user has no connection`);
      }
      const [connection] = await tx.select({ id: ssoConnections.id }).from(ssoConnections).where(eq(ssoConnections.id, connectionId));
      if (!connection) throw new AppError('unknown_connection', 422, `unknown connection ${connectionId}`);
    }
    await tx.update(users).set({ ssoState: input.state, connectionId, updatedAt: new Date() }).where(eq(users.sid, input.sid));
    await recordAuditEvent(tx, {
      type: 'user.sso_state_changed',
      actor: input.actor,
      userSid: input.sid,
      connectionId: connectionId ?? undefined,
      detail: { from: current.ssoState, to: input.state, reason: input.reason ?? null },
    });
    return { sid: current.sid, email: current.email, ssoState: input.state, connectionId: connectionId ?? null };
  });
}

/**
 * Support frees a user from their SSO connection (state `none`, no connection), so another customer's
 * onboarding may list or nominate them; until then a list refuses them (domain/migrationLists.ts).
 * Their sessions through that connection end with it (domain/sessions.ts). Audited with the reason.
 */
export async function releaseUser(db: Db, input: { sid: string; actor: string; reason: string }): Promise<UserView> {
  return await db.transaction(async (tx) => {
    const [current] = await tx.select().from(users).where(eq(users.sid, input.sid)).for('update');
    if (!current) throw notFound(`user ${input.sid}`);
    await tx.update(users).set({ ssoState: 'none', connectionId: null, updatedAt: new Date() }).where(eq(users.sid, input.sid));
    await recordAuditEvent(tx, {
      type: 'user.released',
      actor: input.actor,
      userSid: input.sid,
      connectionId: current.connectionId ?? undefined,
      detail: { from: current.ssoState, connectionId: current.connectionId, reason: input.reason },
    });
    return { sid: current.sid, email: current.email, ssoState: 'none', connectionId: null };
  });
}
