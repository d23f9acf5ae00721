import express, { type NextFunction, type Request, type Response } from 'express';
import { idPattern } from '../../contract/onboarding.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { readCookie } from '../http.js';
import { supportCookieName, supportSessionEnded, supportSessions } from '../middleware/supportSession.js';
import { sendPage } from '../pages/layout.js';
import { supportSignInPage } from '../pages/supportSignIn.js';

const onboardingIdPattern = idPattern('onboarding');

export const temporalUnavailable = () =>
  new AppError('temporal_unavailable', 503, 'Temporal is not answering, and this page needs the workflow’s state. Try again shortly.');

/** Temporal's client for a page, or the named 503 when Temporal does not answer. */
export const temporalClient = (deps: Pick<ApiDeps, 'temporal'>) => async () => {
  try {
    return (await deps.temporal()).client;
  } catch {
    throw temporalUnavailable();
  }
};

/**
 * What every support console router shares: the signed-in check (an unsigned browser gets the sign-in
 * form, which returns it here afterwards), the form body parser, Temporal's client, and the onboarding
 * ID read from the path. The same-origin check is mounted once for all of `/support` (support.ts).
 */
export function supportConsole(deps: ApiDeps) {
  const { database, config, clock } = deps;
  const sessions = supportSessions(config.supportApiToken);
  const signedIn = async (req: Request, res: Response, next: NextFunction) => {
    const session = sessions.verify(readCookie(req, supportCookieName), clock.now());
    if (session && !(await supportSessionEnded(database.db, session))) return next();
    const status = req.method === 'GET' ? 200 : 401;
    sendPage(res, supportSignInPage({ next: req.method === 'GET' ? req.originalUrl : '/support', status, disabled: !sessions.enabled }));
  };
  /** Small forms: a few fields of text. */
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  /** Forms that carry a document (IdP metadata, a certificate, a list of emails): bounded like the API's bodies. */
  const largeForm = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 30 });
  const client = temporalClient(deps);
  const onboardingId = (req: Request): string => {
    const id = String(req.params.id);
    if (!onboardingIdPattern.test(id)) throw new AppError('not_found', 404, `onboarding ${id} not found`);
    return id;
  };
  return { sessions, signedIn, form, largeForm, client, onboardingId };
}
