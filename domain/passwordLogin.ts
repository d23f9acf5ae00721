import type { Db } from '../db/client.js';
import { spEndpoints } from './connections.js';
import { findUserByEmail } from './directory.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { createSession } from './sessions.js';
import { recordFailure, type ThrottleKey, throttledFor } from './throttle.js';

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
  const throttleKeys = keysFor(input.email, input.ip);
  const retryAfterSeconds = await throttledFor(db, throttleKeys, input.now);
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
    await recordFailure(
      db,
      throttleKeys.map((k) => k.key),
      input.now,
    );
    return { ok: false, code: 'invalid_credentials', userSid: user?.sid };
  }
  const session = await createSession(db, { userSid: user.sid, authMethod: 'password', connectionId: null, now: input.now });
  return { ok: true, userSid: user.sid, sessionToken: session.token, sessionExpiresAt: session.expiresAt };
}
