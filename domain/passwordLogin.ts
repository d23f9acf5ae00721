import type { Db } from '../db/client.js';
import { spEndpoints } from './connections.js';
import { findUserByEmail } from './directory.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { createSession } from './sessions.js';
import { reserveAttempt, type ThrottleKey } from './throttle.js';

/** Failures allowed per window: per account (guessing one password) and per client address (spraying many). */
export const throttleLimits = { email: 10, ip: 50 } as const;

export type PasswordLoginResult =
  | { ok: true; userSid: string; sessionToken: string; sessionExpiresAt: Date }
  | { ok: false; code: 'invalid_credentials'; userSid?: string }
  | { ok: false; code: 'sso_required'; userSid: string; ssoUrl: string }
  | { ok: false; code: 'rate_limited'; retryAfterSeconds: number };

// Verifying against a real hash when the user is unknown keeps response times alike, so timing does not tell which emails exist.
let decoyHash: Promise<string> | undefined;

const keysFor = (email: string, ip: string): ThrottleKey[] => [
  { key: `email:${email.toLowerCase()}`, limit: throttleLimits.email },
  { key: `ip:${ip}`, limit: throttleLimits.ip },
];

export async function passwordLogin(
  db: Db,
  input: { email: string; password: string; ip: string; now: Date; publicBaseUrl: string },
): Promise<PasswordLoginResult> {
  // The slot is taken before the password is even looked at, so concurrent guesses cannot all slip in
  // under the limit. Only a failure keeps it: a user who signs in, or is sent to SSO, is not guessing.
  // A success gives back just its own slot and never clears the count, or an attacker with one account
  // of their own could reset the address's count between guesses at others.
  const attempt = await reserveAttempt(db, keysFor(input.email, input.ip), input.now);
  if (!attempt.ok) return { ok: false, code: 'rate_limited', retryAfterSeconds: attempt.retryAfterSeconds };

  const user = await findUserByEmail(db, input.email);
  if (user?.ssoState === 'enforced' && user.connectionId) {
    await attempt.release();
    return { ok: false, code: 'sso_required', userSid: user.sid, ssoUrl: spEndpoints(input.publicBaseUrl, user.connectionId).loginUrl };
  }
  decoyHash ??= hashPassword('decoy password that matches nothing');
  let valid = false;
  if (user?.passwordHash) valid = await verifyPassword(input.password, user.passwordHash);
  else await verifyPassword(input.password, await decoyHash);
  if (!user || !valid) return { ok: false, code: 'invalid_credentials', userSid: user?.sid };
  await attempt.release();
  const session = await createSession(db, { userSid: user.sid, authMethod: 'password', connectionId: null, now: input.now });
  return { ok: true, userSid: user.sid, sessionToken: session.token, sessionExpiresAt: session.expiresAt };
}
