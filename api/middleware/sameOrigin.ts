// CSRF defence for the forms that change something for whoever is signed in (the dashboard, sign-in
// and sign-out): browsers name the Origin of every POST, so one from another site is refused.
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../lib/errors.js';

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
export function requireSameOrigin(publicBaseUrl: string, options: { where?: string; originlessClients?: boolean } = {}) {
  const published = new URL(publicBaseUrl).origin;
  const where = options.where ?? 'the support dashboard';
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const origin = req.get('origin') ?? originOf(req.get('referer'));
    if (origin && origin !== 'null' && (origin === published || origin === `${req.protocol}://${req.get('host')}`)) return next();
    // A client that is not a browser names no origin; it may go on if its body is not one a foreign
    // page could have made a browser post (a form or plain text), e.g. JSON or no body at all.
    if (options.originlessClients && !origin && !req.is(formContentTypes)) return next();
    next(new AppError('cross_site_request', 403, `This form must be sent from ${where} itself. Reload the page and try again.`));
  };
}

/** What a page of another site can make a browser post without asking (CORS "simple" requests). */
const formContentTypes = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
