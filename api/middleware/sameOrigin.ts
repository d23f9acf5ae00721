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
    // Browsers name the Origin of every POST they send, a cross-site form's above all, so a request that
    // names neither Origin nor Referer comes from a client that is not a browser (the contract lets
    // scripts post the sign-in form); it cannot carry a victim's browser into a login or a logout.
    if (options.originlessClients && req.get('origin') === undefined && req.get('referer') === undefined) return next();
    next(new AppError('cross_site_request', 403, `This form must be sent from ${where} itself. Reload the page and try again.`));
  };
}
