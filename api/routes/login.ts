import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { findConnection } from '../../domain/connections.js';
import { recordLoginAttempt } from '../../domain/loginAudit.js';
import { passwordLogin } from '../../domain/passwordLogin.js';
import { endSession, findSession, sessionCookieName } from '../../domain/sessions.js';
import { signInRouteFor } from '../../domain/signInRoute.js';
import { AppError } from '../../lib/errors.js';
import { type ApiRoute, errorAnswer } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { clearSessionCookie, prefersJson, readCookie, setSessionCookie } from '../http.js';
import { requireSameOrigin } from '../middleware/sameOrigin.js';
import { consolePage, signedOutPage } from '../pages/console.js';
import { sendPage } from '../pages/layout.js';
import { emailStepPage, passwordStepPage, ssoRequiredPage } from '../pages/login.js';
import { meResponse } from '../responses.js';
import { plainText } from '../schemas.js';

const loginBody = z.object({
  email: plainText().trim().min(3, 'email is required').max(254),
  password: plainText().min(1, 'password is required').max(1024),
});

const emailStepBody = z.object({
  email: plainText()
    .trim()
    .max(254)
    .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/),
});

const formBody = [express.urlencoded({ extended: false, limit: '8kb' }), express.json({ limit: '8kb' })];

const sessionOf = ({ database, clock }: ApiDeps, req: Request) => findSession(database.db, readCookie(req, sessionCookieName), clock.now());

/** `GET /api/me`: the signed-in user, by the session cookie rather than the support token. */
export function sessionRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/me',
      operationId: 'getMe',
      tag: 'session',
      summary: 'The signed-in user',
      security: 'sessionCookie',
      responses: { 200: { description: "The session's user", schema: meResponse }, 401: errorAnswer('not_signed_in: no session') },
      async handler(req, res) {
        const session = await sessionOf(deps, req);
        if (!session) throw new AppError('not_signed_in', 401, 'no session: sign in first');
        res.json({ sid: session.sid, email: session.email, authMethod: session.authMethod, connectionId: session.connectionId });
      },
    },
  ];
}

/** The sign-in pages, the console and sign-out. */
export function loginRouter(deps: ApiDeps): Router {
  const { database, config, clock } = deps;
  const router = Router();
  const secure = config.publicBaseUrl.startsWith('https:');
  const currentSession = (req: Request) => sessionOf(deps, req);

  router.get('/login', async (req, res) => {
    if (await currentSession(req)) return res.redirect(303, '/console');
    sendPage(res, emailStepPage());
  });

  // Email first: SSO users go on to their IdP by discovery, everyone else to the password step.
  /** The email step's address; undefined once the form has been answered again with a 400. */
  const emailStep = (req: Request, res: Response): string | undefined => {
    const parsed = emailStepBody.safeParse(req.body ?? {});
    if (parsed.success) return parsed.data.email;
    const email = typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '';
    sendPage(res, emailStepPage({ email, status: 400, error: 'Enter your full work email address, such as name@example.com.' }));
    return undefined;
  };

  router.post('/login/continue', ...formBody, async (req, res) => {
    const email = emailStep(req, res);
    if (email === undefined) return;
    const route = await signInRouteFor(database.db, email);
    if (route.kind === 'sso') return res.redirect(303, `/sso?email=${encodeURIComponent(email)}`);
    sendPage(res, passwordStepPage({ email }));
  });

  // The password step on request: a user whose SSO is enabled but not enforced (a pilot user whose IdP
  // does not assign them the application yet) still has a password. Open to every address, so it tells
  // nothing about one; an enforced user's password is refused with sso_required as before.
  router.post('/login/password', ...formBody, async (req, res) => {
    const email = emailStep(req, res);
    if (email !== undefined) sendPage(res, passwordStepPage({ email }));
  });

  // Login CSRF (signing a victim in as the attacker) and forced sign-out: only this site's pages post these.
  const sameSite = requireSameOrigin(config.publicBaseUrl, { where: 'this site’s sign-in page', originlessClients: true });

  router.post('/login', sameSite, ...formBody, async (req, res) => {
    const browser = !prefersJson(req);
    const parsed = loginBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      if (!browser) throw parsed.error;
      const email = typeof req.body?.email === 'string' ? req.body.email.trim().slice(0, 254) : '';
      if (!email) return sendPage(res, emailStepPage({ status: 400, error: 'Enter your work email to sign in.' }));
      return sendPage(res, passwordStepPage({ email, status: 400, error: 'Enter your password.' }));
    }
    const { email, password } = parsed.data;
    const ip = req.ip ?? 'unknown';
    const result = await passwordLogin(database.db, { email, password, ip, now: clock.now(), publicBaseUrl: config.publicBaseUrl });
    const attempt = { method: 'password' as const, traceId: req.traceId, email, ip };
    if (result.ok) {
      await recordLoginAttempt(database.db, deps.metrics, { ...attempt, reasonCode: 'ok', userSid: result.userSid });
      setSessionCookie(res, result.sessionToken, result.sessionExpiresAt, secure);
      res.redirect(303, '/console');
      return;
    }
    await recordLoginAttempt(database.db, deps.metrics, {
      ...attempt,
      reasonCode: result.code,
      userSid: 'userSid' in result ? result.userSid : undefined,
    });
    if (result.code === 'rate_limited') {
      res.setHeader('Retry-After', String(result.retryAfterSeconds));
      const message = `Too many failed sign-ins; try again in ${Math.ceil(result.retryAfterSeconds / 60)} minutes.`;
      if (browser) return sendPage(res, passwordStepPage({ email, status: 429, error: message }));
      throw new AppError('rate_limited', 429, message);
    }
    if (result.code === 'sso_required') {
      if (browser) return sendPage(res, ssoRequiredPage({ ssoUrl: result.ssoUrl }));
      throw new AppError('sso_required', 403, 'Your company requires you to sign in through its identity provider (SSO).', {
        ssoUrl: result.ssoUrl,
      });
    }
    const message = 'The email or password is not correct.';
    if (browser) return sendPage(res, passwordStepPage({ email, status: 401, error: message }));
    throw new AppError('invalid_credentials', 401, message);
  });

  router.get('/console', async (req, res) => {
    const session = await currentSession(req);
    if (!session) return res.redirect(303, '/login');
    const connection = session.connectionId ? await findConnection(database.db, session.connectionId) : undefined;
    sendPage(res, consolePage({ ...session, connection: connection ?? null }));
  });

  router.post('/logout', sameSite, async (req, res: Response) => {
    const ended = await endSession(database.db, readCookie(req, sessionCookieName), clock.now());
    clearSessionCookie(res, secure);
    const connection =
      ended?.authMethod === 'sso' && ended.connectionId ? await findConnection(database.db, ended.connectionId) : undefined;
    if (connection?.logoutRedirectUrl) return sendPage(res, signedOutPage(connection.logoutRedirectUrl));
    res.redirect(303, '/login');
  });

  return router;
}
