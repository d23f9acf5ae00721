import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { loginThrottle } from '../db/schema.js';
import { spEndpoints } from './connections.js';
import { findUserByEmail } from './directory.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { createSession } from './sessions.js';

export const throttleWindowMs = 15 * 60_000;
/** Failures allowed per window: per account (guessing one password) and per client address (spraying many). */
export const throttleLimits = { email: 10, ip: 50 } as const;

export type PasswordLoginResult =
  | { ok: true; userSid: string; sessionToken: string; sessionExpiresAt: Date }
  | { ok: false; code: 'invalid_credentials'; userSid?: string }
  | { ok: false; code: 'sso_required'; userSid: string; ssoUrl: string }
  | { ok: false; code: 'rate_limited'; retryAfterSeconds: number };

// Verifying against a real hash when the user is unknown keeps response times alike, so timing does not tell which emails exist.
let decoyHash: Promise<string> | undefined;

const keysFor = (email: string, ip: string) => [`email:${email.toLowerCase()}`, `ip:${ip}`];

async function throttled(db: Db, email: string, ip: string, now: Date): Promise<number | undefined> {
  const [emailKey, ipKey] = keysFor(email, ip);
  const rows = await db
    .select()
    .from(loginThrottle)
    .where(inArray(loginThrottle.key, [emailKey as string, ipKey as string]));
  for (const row of rows) {
    const limit = row.key.startsWith('email:') ? throttleLimits.email : throttleLimits.ip;
    const windowEnds = row.windowStart.getTime() + throttleWindowMs;
    if (row.failures >= limit && windowEnds > now.getTime()) return Math.ceil((windowEnds - now.getTime()) / 1000);
  }
  return undefined;
}

async function recordFailure(db: Db, email: string, ip: string, now: Date) {
  // postgres.js takes no Date inside raw SQL fragments; ISO strings with a cast are exact.
  const windowFloor = sql`${new Date(now.getTime() - throttleWindowMs).toISOString()}::timestamptz`;
  const nowSql = sql`${now.toISOString()}::timestamptz`;
  for (const key of keysFor(email, ip)) {
    await db
      .insert(loginThrottle)
      .values({ key, windowStart: now, failures: 1 })
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: {
          failures: sql`case when ${loginThrottle.windowStart} < ${windowFloor} then 1 else ${loginThrottle.failures} + 1 end`,
          windowStart: sql`case when ${loginThrottle.windowStart} < ${windowFloor} then ${nowSql} else ${loginThrottle.windowStart} end`,
        },
      });
  }
}

export async function passwordLogin(
  db: Db,
  input: { email: string; password: string; ip: string; now: Date; publicBaseUrl: string },
): Promise<PasswordLoginResult> {
  const retryAfterSeconds = await throttled(db, input.email, input.ip, input.now);
  if (retryAfterSeconds !== undefined) return { ok: false, code: 'rate_limited', retryAfterSeconds };

  const user = await findUserByEmail(db, input.email);
  if (user?.ssoState === 'enforced' && user.connectionId) {
    return { ok: false, code: 'sso_required', userSid: user.sid, ssoUrl: spEndpoints(input.publicBaseUrl, user.connectionId).loginUrl };
  }
  decoyHash ??= hashPassword('decoy password that matches nothing');
  let valid = false;
  if (user?.passwordHash) valid = await verifyPassword(input.password, user.passwordHash);
  else await verifyPassword(input.password, await decoyHash);
  if (!user || !valid) {
    await recordFailure(db, input.email, input.ip, input.now);
    return { ok: false, code: 'invalid_credentials', userSid: user?.sid };
  }
  const session = await createSession(db, { userSid: user.sid, authMethod: 'password', connectionId: null, now: input.now });
  return { ok: true, userSid: user.sid, sessionToken: session.token, sessionExpiresAt: session.expiresAt };
}
