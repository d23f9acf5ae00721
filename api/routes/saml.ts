import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { findConnection, findConnectionCached, findConnectionForEmail } from '../../domain/connections.js';
import { createRefusalAudit } from '../../domain/loginAudit.js';
import { recordPilotLogin } from '../../domain/onboardings.js';
import { consumeSamlResponse } from '../../domain/saml/acs.js';
import { maxSamlResponseLength } from '../../domain/saml/document.js';
import { LoginRefused } from '../../domain/saml/refusal.js';
import { serviceProviderFor } from '../../domain/saml/serviceProvider.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { localRedirectTarget, setSessionCookie } from '../http.js';

const connectionIdPattern = /^conn_[0-9a-f]{24}$/;

export function samlRouter(deps: ApiDeps): Router {
  const { database, config } = deps;
  // createApp provides one; the fallback serves a router mounted on its own.
  const refusalAudit =
    deps.refusalAudit ??
    createRefusalAudit(database.db, deps.metrics, {
      onError: (error, lost) => deps.logger.error({ err: error, lost }, 'could not record login refusals'),
    });
  const router = Router();
  const spOptions = () => ({
    db: database.db,
    publicBaseUrl: config.publicBaseUrl,
    clockSkewMs: config.samlClockSkewMs,
    now: () => deps.clock.now(),
  });

  async function connectionOr404(id: string | undefined) {
    const connection = id && connectionIdPattern.test(id) ? await findConnection(database.db, id) : undefined;
    if (!connection) throw new AppError('unknown_connection', 404, 'no single sign-on connection with this ID');
    return connection;
  }

  router.get('/saml/:connectionId/metadata', async (req, res) => {
    const connection = await connectionOr404(req.params.connectionId);
    const xml = serviceProviderFor(connection, spOptions()).generateServiceProviderMetadata(null, null);
    res.type('application/samlmetadata+xml').send(xml);
  });

  async function startLogin(connectionId: string, relayState: unknown, res: Response) {
    const connection = await connectionOr404(connectionId);
    if (connection.status === 'disabled')
      throw new AppError('connection_disabled', 403, 'single sign-on is switched off for this connection');
    const sp = serviceProviderFor(connection, spOptions());
    const relay = localRedirectTarget(relayState);
    if (connection.ssoBinding === 'post') {
      res.type('html').send(await sp.getAuthorizeFormAsync(relay, undefined, {}));
    } else {
      res.redirect(302, await sp.getAuthorizeUrlAsync(relay, undefined, {}));
    }
  }

  router.get('/saml/:connectionId/login', async (req, res) => {
    await startLogin(req.params.connectionId, req.query.RelayState, res);
  });

  router.get('/sso', async (req, res) => {
    const email = typeof req.query.email === 'string' ? req.query.email.trim() : '';
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) throw new AppError('invalid_email', 400, 'an email address is required');
    const connection = await findConnectionForEmail(database.db, email);
    if (!connection) throw new AppError('no_sso_for_domain', 404, `no single sign-on connection serves ${email.split('@')[1]}`);
    await startLogin(connection.id, req.query.RelayState, res);
  });

  // The size limit sits in front of the body parser, so an oversized post is refused before it is read whole.
  const acsBody = express.urlencoded({ extended: false, limit: maxSamlResponseLength + 8 * 1024, parameterLimit: 10 });
  router.post(
    '/saml/:connectionId/acs',
    (req: Request, res: Response, next: NextFunction) => {
      acsBody(req, res, (error?: unknown) => {
        if (error)
          return next(
            new LoginRefused((error as { type?: string }).type === 'entity.too.large' ? 'response_too_large' : 'malformed_base64'),
          );
        next();
      });
    },
    async (req, res) => {
      const connectionId = String(req.params.connectionId);
      // Cached for a few seconds: see findConnectionCached for how soon changes take effect here.
      const connection = connectionIdPattern.test(connectionId) ? await findConnectionCached(database.db, connectionId) : undefined;
      if (!connection) throw new LoginRefused('unknown_connection');
      const body = (req.body ?? {}) as Record<string, unknown>;
      // Writes the session and the login.succeeded audit event together; the metric is counted here.
      const login = await consumeSamlResponse(spOptions(), connection, body, { traceId: req.traceId, ip: req.ip });
      deps.metrics.loginResults.inc({ method: 'sso', reason: 'ok' });
      // Fire-and-forget: the login is complete whether or not Temporal answers.
      void recordPilotLogin(database.db, async () => (await deps.temporal()).client, login.userSid, deps.clock.now()).catch(
        (error: unknown) => req.log.warn({ err: error, userSid: login.userSid }, 'could not tell the onboarding about a pilot login'),
      );
      setSessionCookie(res, login.sessionToken, login.sessionExpiresAt, config.publicBaseUrl.startsWith('https:'));
      res.redirect(303, localRedirectTarget(body.RelayState));
    },
  );

  // Refusals at the ACS are audited here, with the connection they were aimed at, then rendered by the error handler.
  router.use('/saml/:connectionId/acs', (error: unknown, req: Request, _res: Response, next: NextFunction) => {
    if (!(error instanceof LoginRefused)) return next(error);
    const param = String(req.params.connectionId ?? '');
    const connectionId = connectionIdPattern.test(param) ? param : undefined;
    // Buffered and written in batches (domain/loginAudit.ts), so junk posts do not each force a commit.
    refusalAudit.record({
      method: 'sso',
      reasonCode: error.code,
      traceId: req.traceId,
      connectionId,
      ip: req.ip,
      detail: error.detail,
    });
    next(new AppError(error.code, error.httpStatus, error.message));
  });

  return router;
}
