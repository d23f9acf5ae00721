import express, { type Request, Router } from 'express';
import { z } from 'zod';
import { findConnection } from '../../domain/connections.js';
import { recordLoginAttempt } from '../../domain/loginAudit.js';
import { passwordLogin } from '../../domain/passwordLogin.js';
import { endSession, findSession, sessionCookieName } from '../../domain/sessions.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { clearSessionCookie, readCookie, setSessionCookie } from '../http.js';
import { escapeHtml, page } from '../pages/layout.js';

const loginBody = z.object({
  email: z.string().trim().min(3, 'email is required').max(254),
  password: z.string().min(1, 'password is required').max(1024),
});

export function loginRouter(deps: ApiDeps): Router {
  const { database, config, clock } = deps;
  const router = Router();
  const secure = config.publicBaseUrl.startsWith('https:');
  const currentSession = (req: Request) => findSession(database.db, readCookie(req, sessionCookieName), clock.now());

  router.get('/login', (_req, res) => {
    res.type('html').send(
      page(
        'Sign in',
        `<h1>Sign in</h1>
<form method="post" action="/login">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<form method="get" action="/sso"><label for="sso-email">Or sign in with your company's identity provider</label>
<input id="sso-email" name="email" type="email" required><button type="submit">Continue with SSO</button></form>`,
      ),
    );
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '8kb' }), express.json({ limit: '8kb' }), async (req, res) => {
    const { email, password } = loginBody.parse(req.body ?? {});
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
      throw new AppError('rate_limited', 429, `too many failed sign-ins; try again in ${Math.ceil(result.retryAfterSeconds / 60)} minutes`);
    }
    if (result.code === 'sso_required') {
      throw new AppError('sso_required', 403, 'Your company requires you to sign in through its identity provider (SSO).', {
        ssoUrl: result.ssoUrl,
      });
    }
    throw new AppError('invalid_credentials', 401, 'The email or password is not correct.');
  });

  router.get('/api/me', async (req, res) => {
    const session = await currentSession(req);
    if (!session) throw new AppError('not_signed_in', 401, 'no session: sign in first');
    res.json({ sid: session.sid, email: session.email, authMethod: session.authMethod, connectionId: session.connectionId });
  });

  router.get('/console', async (req, res) => {
    const session = await currentSession(req);
    if (!session) {
      res.redirect(303, '/login');
      return;
    }
    res.type('html').send(
      page(
        'Console',
        `<h1>Signed in</h1><p>You are <strong>${escapeHtml(session.email)}</strong>, signed in with ${session.authMethod === 'sso' ? 'single sign-on' : 'a password'}.</p>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
      ),
    );
  });

  router.post('/logout', async (req, res) => {
    const ended = await endSession(database.db, readCookie(req, sessionCookieName), clock.now());
    clearSessionCookie(res, secure);
    const connection =
      ended?.authMethod === 'sso' && ended.connectionId ? await findConnection(database.db, ended.connectionId) : undefined;
    if (connection?.logoutRedirectUrl) {
      // The customer asked for a POST to their Redirect URL after logout (no Single Logout).
      res.type('html').send(
        page(
          'Signed out',
          `<h1>Signed out</h1><form id="after-logout" method="post" action="${escapeHtml(connection.logoutRedirectUrl)}"><p>Continuing to your company's page…</p><button type="submit">Continue</button></form>
<script>document.getElementById('after-logout').submit()</script>`,
        ),
      );
      return;
    }
    res.redirect(303, '/login');
  });

  return router;
}
