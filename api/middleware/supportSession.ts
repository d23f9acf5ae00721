import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../lib/errors.js';

export const supportCookieName = 'sso_support';
const sessionMs = 8 * 60 * 60_000;
const digest = (value: string) => createHash('sha256').update(value).digest();

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
    verify(value: string | undefined, now: Date): boolean {
      if (!key || !value || value.length > 200) return false;
      const match = /^(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (!match) return false;
      const [, expires, nonce, given] = match as unknown as [string, string, string, string];
      const good = timingSafeEqual(Buffer.from(given), Buffer.from(mac(`${expires}.${nonce}`)));
      return good && Number(expires) > now.getTime();
    },
  };
}

export function setSupportCookie(res: Response, value: string, expiresAt: Date, secure: boolean) {
  res.cookie(supportCookieName, value, { httpOnly: true, sameSite: 'strict', secure, path: '/support', expires: expiresAt });
}

export function clearSupportCookie(res: Response, secure: boolean) {
  res.clearCookie(supportCookieName, { httpOnly: true, sameSite: 'strict', secure, path: '/support' });
}

const originOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
};

/**
 * CSRF defence for the dashboard's forms, on top of the SameSite=Strict cookie: a POST must come from a
 * page of this service (Origin, or Referer where a browser omits Origin); one that names no origin is refused.
 */
export function requireSameOrigin(publicBaseUrl: string) {
  const published = new URL(publicBaseUrl).origin;
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const origin = req.get('origin') ?? originOf(req.get('referer'));
    if (origin && origin !== 'null' && (origin === published || origin === `${req.protocol}://${req.get('host')}`)) return next();
    next(
      new AppError('cross_site_request', 403, 'This form must be sent from the support dashboard itself. Reload the page and try again.'),
    );
  };
}
