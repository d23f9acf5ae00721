import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../lib/errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Bearer-token check for the support API; comparing digests keeps it constant-time whatever the length. */
export function requireSupportToken(token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!expected) return next(new AppError('support_api_disabled', 503, 'SUPPORT_API_TOKEN is not configured'));
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(new AppError('unauthorized', 401, 'a support bearer token is required'));
    if (!timingSafeEqual(digest(match[1]), expected)) return next(new AppError('unauthorized', 401, 'the support token is not valid'));
    next();
  };
}
