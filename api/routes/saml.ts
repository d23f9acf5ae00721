import { parse as parseForm } from 'node:querystring';
import { type Request, type Response, Router } from 'express';
import getRawBody from 'raw-body';
import { idPattern } from '../../contract/vocabulary.js';
import {
  type Connection,
  type ConnectionRecord,
  findConnectionForEmail,
  findConnectionRecord,
  hasIdpSide,
  spEndpoints,
} from '../../domain/connections.js';
import { signalPilotLogin } from '../../domain/onboardingCommands.js';
import { consumeSamlResponse } from '../../domain/saml/acs.js';
import { maxSamlResponseLength } from '../../domain/saml/document.js';
import { type LoginRefusalCode, LoginRefused } from '../../domain/saml/refusal.js';
import { serviceProviderFor } from '../../domain/saml/serviceProvider.js';
import { diagnoseTestResponse, pendingTestRequest } from '../../domain/testSignIns.js';
import { AppError } from '../../lib/errors.js';
import { type ApiDeps, samlOptions } from '../deps.js';
import { localRedirectTarget, setSessionCookie, unreadableFormEncoding } from '../http.js';
import { sendError } from '../middleware/errors.js';
import { sendPage } from '../pages/layout.js';
import { samlPostPage } from '../pages/samlPost.js';
import { testReportPage } from '../pages/testReport.js';

const connectionIdPattern = idPattern('connection');

/**
 * The ACS form's largest body: 257 KiB. It holds a SAMLResponse field of 241–256 KiB (the field limit
 * counts base64 characters, and `+`, `/` and `=` travel percent-encoded) plus RelayState, which SAML
 * caps at 80 bytes. Over either limit the answer is `response_too_large`; real responses are a few KiB.
 */
export const acsBodyLimit = maxSamlResponseLength + 1024;

/**
 * Reads the posted form (`SAMLResponse`, `RelayState`). A declared length over the limit is refused
 * before the ACS reads any of it (Node discards what arrives after the answer, keeping the connection
 * usable); otherwise the body is read up to the limit and split by node:querystring into an object
 * without a prototype (at most 10 fields; a real post has two). A body that is not a form carries no
 * SAMLResponse. body-parser's urlencoded reader (qs) cost more than the rest of refusing junk did.
 */
async function readAcsForm(req: Request): Promise<Record<string, unknown>> {
  if (!req.is('application/x-www-form-urlencoded')) return {};
  // A refused body is discarded as it arrives, so the keep-alive connection can carry the next request.
  const refuse = (code: LoginRefusalCode, detail?: string) => {
    req.resume();
    return new LoginRefused(code, detail);
  };
  const unsupported = unreadableFormEncoding(req);
  if (unsupported) throw refuse('unsupported_encoding', unsupported);
  // Checked here too, not only by raw-body: its refusal builds an error with a stack for every oversized post.
  if (Number(req.headers['content-length']) > acsBodyLimit) throw refuse('response_too_large');
  let text: string;
  try {
    text = await getRawBody(req, { length: req.headers['content-length'], limit: acsBodyLimit, encoding: 'utf-8' });
  } catch (error) {
    throw refuse((error as { type?: string }).type === 'entity.too.large' ? 'response_too_large' : 'malformed_base64');
  }
  return parseForm(text, '&', '=', { maxKeys: 10 });
}

export function samlRouter(deps: ApiDeps): Router {
  const { database, config, connections, refusalAudit } = deps;
  const router = Router();
  const spOptions = () => samlOptions(deps);

  /** Any connection on file, with or without its IdP side (the SP metadata is published from the onboarding's start). */
  async function recordOr404(id: string | undefined): Promise<ConnectionRecord> {
    const record = id && connectionIdPattern.test(id) ? await findConnectionRecord(database.db, id) : undefined;
    if (!record) throw new AppError('unknown_connection', 404, 'no single sign-on connection with this ID');
    return record;
  }

  async function connectionOr404(id: string | undefined): Promise<Connection> {
    const record = await recordOr404(id);
    if (!hasIdpSide(record))
      throw new AppError(
        'connection_pending',
        409,
        'this single sign-on connection is waiting for its IdP details; it cannot sign anyone in yet',
      );
    return record;
  }

  router.get('/saml/:connectionId/metadata', async (req, res) => {
    const record = await recordOr404(req.params.connectionId);
    // node-saml builds SP metadata from an SP instance; the IdP side plays no part in it.
    const spSide = hasIdpSide(record)
      ? record
      : { ...record, idpEntityId: '', ssoUrl: spEndpoints(config.publicBaseUrl, record.id).acsUrl };
    const xml = serviceProviderFor(spSide, spOptions()).generateServiceProviderMetadata(null, null);
    res.type('application/samlmetadata+xml').send(xml);
  });

  async function startLogin(connectionId: string, relayState: unknown, res: Response) {
    const connection = await connectionOr404(connectionId);
    if (connection.status === 'disabled')
      throw new AppError('connection_disabled', 403, 'single sign-on is switched off for this connection');
    const sp = serviceProviderFor(connection, spOptions());
    const relay = localRedirectTarget(relayState);
    if (connection.ssoBinding === 'post') {
      // node-saml's own form page would go out without the headers every page carries.
      sendPage(res, samlPostPage(connection.ssoUrl, await sp.getAuthorizeMessageAsync(relay, undefined, {})));
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

  router.post('/saml/:connectionId/acs', async (req, res) => {
    const connectionId = String(req.params.connectionId);
    try {
      // Cached for a few seconds: see createConnectionCache for how soon changes take effect here.
      const connection = connectionIdPattern.test(connectionId) ? await connections.find(database.db, connectionId) : undefined;
      if (!connection) throw new LoginRefused('unknown_connection');
      const body = await readAcsForm(req);
      // A response to a test sign-in gets its diagnosis, never a session (domain/testSignIns.ts).
      const testRequest = await pendingTestRequest(database.db, connection.id, body.SAMLResponse, deps.clock.now());
      if (testRequest) {
        const report = await diagnoseTestResponse(spOptions(), connection, {
          samlResponse: body.SAMLResponse,
          requestId: testRequest,
          traceId: req.traceId,
        });
        return sendPage(res, testReportPage(report, connection.customerName));
      }
      // Writes the session and the login.succeeded audit event together; the metric is counted here.
      const login = await consumeSamlResponse(spOptions(), connection, body, { traceId: req.traceId, ip: req.ip });
      deps.metrics.loginResults.inc({ method: 'sso', reason: 'ok' });
      if (login.pilotOnboardingIds.length > 0) {
        // Fire-and-forget: the login is complete whether or not Temporal answers.
        const temporal = async () => (await deps.temporal()).client;
        void signalPilotLogin(temporal, login.pilotOnboardingIds, login.userSid, login.at).catch((error: unknown) =>
          req.log.warn({ err: error, userSid: login.userSid }, 'could not tell the onboarding about a pilot login'),
        );
      }
      setSessionCookie(res, login.sessionToken, login.sessionExpiresAt, config.publicBaseUrl.startsWith('https:'));
      // Not res.redirect: that negotiates and renders a body no browser shows for a 303.
      res.status(303).location(localRedirectTarget(body.RelayState)).end();
    } catch (error) {
      if (!(error instanceof LoginRefused)) throw error;
      // Audited with the connection it was aimed at, then answered here rather than by the error
      // handler at the end of the stack, so junk does not walk every later route to get there.
      // Buffered and written in batches (domain/loginAudit.ts), so junk posts do not each force a commit.
      refusalAudit.record({
        method: 'sso',
        reasonCode: error.code,
        traceId: req.traceId,
        connectionId: connectionIdPattern.test(connectionId) ? connectionId : undefined,
        ip: req.ip,
        detail: error.detail,
      });
      req.log.info({ code: error.code, status: error.httpStatus }, error.message);
      sendError(req, res, error);
    }
  });

  return router;
}
