import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Db } from '../../db/client.js';
import { recordAuditEvent } from '../../domain/audit.js';
import { reserveAttempt, type ThrottleKey, throttledFor } from '../../domain/throttle.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Wrong support tokens allowed per client address in a 15-minute window (domain/throttle.ts). */
export const supportTokenFailuresAllowed = 20;

/**
 * One count per client address for both doors to the support token, the dashboard's sign-in form and the
 * API's bearer header, so a guesser cannot double their tries by alternating.
 */
export const supportTokenThrottle = (ip: string | undefined): ThrottleKey => ({
  key: `support-ip:${ip ?? 'unknown'}`,
  limit: supportTokenFailuresAllowed,
});

export const supportRateLimited = (retryAfterSeconds: number) => {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return new AppError(
    'rate_limited',
    429,
    `Too many wrong support tokens from this address; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
  );
};

export type SupportTokenVerdict =
  | { ok: true }
  | { ok: false; reasonCode: 'wrong_token' }
  | { ok: false; reasonCode: 'rate_limited'; retryAfterSeconds: number };

/**
 * Decides a support token's attempt, for the API's bearer header and the dashboard's sign-in alike. A
 * wrong token takes a throttle slot before it is answered, so guesses fired at once cannot all be judged
 * under the limit; once an address has used up its guesses even the right token is turned away until the
 * window ends, so the answer stops telling a right guess from a wrong one.
 */
export async function judgeSupportToken(
  db: Db,
  input: { matches: boolean; ip: string | undefined; now: Date },
): Promise<SupportTokenVerdict> {
  const throttle = supportTokenThrottle(input.ip);
  if (input.matches) {
    const retryAfterSeconds = await throttledFor(db, [throttle], input.now);
    return retryAfterSeconds === undefined ? { ok: true } : { ok: false, reasonCode: 'rate_limited', retryAfterSeconds };
  }
  const attempt = await reserveAttempt(db, [throttle], input.now);
  return attempt.ok
    ? { ok: false, reasonCode: 'wrong_token' }
    : { ok: false, reasonCode: 'rate_limited', retryAfterSeconds: attempt.retryAfterSeconds };
}

/** Bearer-token check for the support API; comparing digests keeps it constant-time whatever the length. Every miss is audited. */
export function requireSupportToken(deps: Pick<ApiDeps, 'config' | 'database' | 'clock'>) {
  const token = deps.config.supportApiToken;
  const expected = token ? digest(token) : undefined;
  const db = deps.database.db;
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!expected) return next(new AppError('support_api_disabled', 503, 'SUPPORT_API_TOKEN is not configured'));
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(new AppError('unauthorized', 401, 'a support bearer token is required'));
    const verdict = await judgeSupportToken(db, {
      matches: timingSafeEqual(digest(match[1]), expected),
      ip: req.ip,
      now: deps.clock.now(),
    });
    if (verdict.ok) return next();
    await recordAuditEvent(db, {
      type: 'support.api_refused',
      actor: 'support',
      reasonCode: verdict.reasonCode,
      traceId: req.traceId,
      detail: { ip: req.ip, method: req.method, path: req.path.slice(0, 200) },
    });
    if (verdict.reasonCode === 'rate_limited') {
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      return next(supportRateLimited(verdict.retryAfterSeconds));
    }
    req.log.warn('support API request with a wrong token');
    next(new AppError('unauthorized', 401, 'the support token is not valid'));
  };
}
