import { randomBytes } from 'node:crypto';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { mintId, type SsoState } from '../contract/vocabulary.js';
import type { Db } from '../db/client.js';
import { accounts, auditEvents, memberships, ssoConnections, users } from '../db/schema.js';
import { AppError, conflict, notFound } from '../lib/errors.js';
import { recordAuditEvent } from './audit.js';
import { hashPassword } from './passwords.js';
import { liveSessionsOf } from './sessions.js';

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

/** Every change of a user's SSO state by hand says why: the audit event keeps the reason. */
export function requireReason(reason: unknown): string {
  if (typeof reason === 'string' && reason.trim() !== '') return reason.trim();
  throw new AppError('reason_required', 400, "reason: say why the user's SSO state changes (it is kept in the audit trail)", [
    { path: 'reason', message: 'must say why' },
  ]);
}

/** Support's manual change and break-glass: audited with who did it and why. */
export async function setUserSsoState(
  db: Db,
  input: { sid: string; state: SsoState; connectionId?: string; actor: string; reason: string },
): Promise<UserView> {
  const reason = requireReason(input.reason);
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
      detail: { from: current.ssoState, to: input.state, reason },
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

/** A user as support looks them up: their SSO state, last SSO sign-in and live sessions. */
export interface UserLookupItem extends UserView {
  lastSsoLoginAt: string | null;
  activeSessions: number;
}

/** Members shown per account; the count says how many there are in all. */
export const membersShown = 100;

/** The user with this email (case-insensitively, as sign-in matches it) or SID: none or one. */
export async function lookUpUsers(db: Db, by: { email: string } | { sid: string }, now: Date): Promise<UserLookupItem[]> {
  const user = 'email' in by ? await findUserByEmail(db, by.email) : (await db.select().from(users).where(eq(users.sid, by.sid)))[0];
  if (!user) return [];
  // The audit trail keeps every sign-in; sessions are removed once they expire (domain/housekeeping.ts).
  const [last] = await db
    .select({ at: sql<Date | null>`max(${auditEvents.at})` })
    .from(auditEvents)
    .where(and(eq(auditEvents.userSid, user.sid), eq(auditEvents.type, 'login.succeeded'), sql`${auditEvents.detail}->>'method' = 'sso'`));
  const live = await liveSessionsOf(db, user.sid, now, 1000);
  return [
    {
      sid: user.sid,
      email: user.email,
      ssoState: user.ssoState,
      connectionId: user.connectionId,
      lastSsoLoginAt: last?.at ? new Date(last.at).toISOString() : null,
      activeSessions: live.length,
    },
  ];
}

/** What the console's user page shows beyond the lookup: the connection, each live session, and the accounts with their members. */
export async function userDirectoryDetail(db: Db, sid: string, now: Date) {
  const [user] = await lookUpUsers(db, { sid }, now);
  if (!user) throw notFound(`user ${sid}`);
  const [connection] = user.connectionId
    ? await db
        .select({ id: ssoConnections.id, customerName: ssoConnections.customerName, status: ssoConnections.status })
        .from(ssoConnections)
        .where(eq(ssoConnections.id, user.connectionId))
    : [];
  const liveSessions = await liveSessionsOf(db, sid, now);
  const memberOf = await db
    .select({ sid: accounts.sid })
    .from(memberships)
    .innerJoin(accounts, eq(accounts.sid, memberships.accountSid))
    .where(eq(memberships.userSid, sid))
    .orderBy(accounts.name, accounts.sid)
    .limit(50);
  const accountsWithMembers = [];
  for (const account of memberOf) accountsWithMembers.push(await accountWithMembers(db, account.sid));
  return { user, connection: connection ?? null, sessions: liveSessions, accounts: accountsWithMembers };
}

/** An account and its members (the first `membersShown` by email, and how many in all). */
export async function accountWithMembers(db: Db, accountSid: string) {
  const [account] = await db.select().from(accounts).where(eq(accounts.sid, accountSid));
  if (!account) throw notFound(`account ${accountSid}`);
  const members = await db
    .select({ sid: users.sid, email: users.email, ssoState: users.ssoState })
    .from(memberships)
    .innerJoin(users, eq(users.sid, memberships.userSid))
    .where(eq(memberships.accountSid, accountSid))
    .orderBy(users.email)
    .limit(membersShown);
  const [total] = await db.select({ count: count() }).from(memberships).where(eq(memberships.accountSid, accountSid));
  return { sid: account.sid, name: account.name, memberCount: total?.count ?? 0, members };
}
