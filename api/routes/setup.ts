// The customer administrator's setup page and its IdP details form (issue #14, items 1–3). The link is a
// capability (domain/setupLinks.ts): whoever holds it may give this one onboarding's IdP details, nothing
// else. A form gets the page again with every problem beside its field; JSON or a metadata document gets
// the support endpoint's answers (POST /api/onboardings/:id/idp-config).
import express, { type Request, type Response, Router } from 'express';
import { type IdpVendor, idpVendors } from '../../contract/diagnosis.js';
import { findConnection, findConnectionRecord, spEndpoints } from '../../domain/connections.js';
import { detectVendor, setupGuide } from '../../domain/idpVendors.js';
import { submitIdpConfigFor } from '../../domain/onboardingCommands.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { type SetupLinkGrant, verifySetupToken } from '../../domain/setupLinks.js';
import { connectionTestReports, startTestSignIn } from '../../domain/testSignIns.js';
import { AppError } from '../../lib/errors.js';
import { type ApiDeps, samlOptions } from '../deps.js';
import { idpFormParser, submitIdpForm } from '../idpConfigForm.js';
import { requireSameOrigin } from '../middleware/sameOrigin.js';
import { idpSubmissionFromApiRequest } from '../onboardingRequests.js';
import type { SentIdpForm } from '../pages/idpDetailsForms.js';
import { sendPage } from '../pages/layout.js';
import { samlPostPage } from '../pages/samlPost.js';
import { setupPage } from '../pages/setup.js';
import { idpMetadataTypes } from '../schemas.js';
import { temporalClient } from './supportShared.js';

const notices: Record<string, string> = {
  idp_config: 'Thank you: we have your IdP’s details. Your support contact is told, and the next steps come by email.',
};

const isVendor = (value: unknown): value is IdpVendor => typeof value === 'string' && (idpVendors as readonly string[]).includes(value);

export function setupRouter(deps: ApiDeps): Router {
  const { database, config, clock, approvalSecret } = deps;
  const router = Router();
  const client = temporalClient(deps);
  const grantOf = (req: Request): Promise<SetupLinkGrant> =>
    verifySetupToken(database.db, String(req.params.token), approvalSecret, clock.now());
  const pathOf = (req: Request) => `/setup/${encodeURIComponent(String(req.params.token))}`;

  async function showPage(req: Request, res: Response, grant: SetupLinkGrant, extra: { sent?: SentIdpForm; status?: number } = {}) {
    const onboarding = await findOnboarding(database.db, grant.onboardingId);
    const connection = await findConnectionRecord(database.db, grant.connectionId);
    const sp = spEndpoints(config.publicBaseUrl, grant.connectionId);
    const spValues = { entityId: sp.entityId, acsUrl: sp.acsUrl, metadataUrl: sp.metadataUrl };
    const idp =
      connection?.idpEntityId && connection.ssoUrl
        ? {
            entityId: connection.idpEntityId,
            ssoUrl: connection.ssoUrl,
            detected: detectVendor({ entityId: connection.idpEntityId, ssoUrl: connection.ssoUrl }),
          }
        : null;
    const picked = isVendor(req.query.idp) ? req.query.idp : (idp?.detected ?? 'other');
    const done = typeof req.query.done === 'string' ? notices[req.query.done] : undefined;
    sendPage(
      res,
      setupPage({
        path: pathOf(req),
        customerName: onboarding.customerName,
        stage: onboarding.stage,
        expiresAt: grant.expiresAt,
        sp: spValues,
        idp,
        guide: setupGuide(picked, spValues),
        lastTest: (await connectionTestReports(database.db, grant.connectionId, 1))[0] ?? null,
        notice: done,
        ...extra,
      }),
    );
  }

  // Same-origin for the page's forms; a script with the link (no Origin, no Referer) may post JSON as the contract allows.
  router.use('/setup', requireSameOrigin(config.publicBaseUrl, { where: 'your setup page', originlessClients: true }));

  router.get('/setup/:token', async (req, res) => {
    await showPage(req, res, await grantOf(req));
  });

  const idpForm = idpFormParser();
  const apiBody = [express.json({ limit: '1mb' }), express.text({ type: idpMetadataTypes, limit: '1mb' })];
  router.post('/setup/:token/idp-config', ...apiBody, async (req, res, next) => {
    if (!req.is('application/json') && !req.is(idpMetadataTypes)) return next();
    const grant = await grantOf(req);
    const submission = await idpSubmissionFromApiRequest(req, { allowPrivateAddresses: config.allowPrivateIdpUrls, now: clock.now() });
    res.json(await submitIdpConfigFor(database.db, await client(), grant.onboardingId, submission));
  });
  router.post('/setup/:token/idp-config', idpForm, async (req, res) => {
    const grant = await grantOf(req);
    const refused = await submitIdpForm(req, res, deps, grant.onboardingId, client);
    if (refused) return await showPage(req, res, grant, { sent: { mode: refused.mode, state: refused.state }, status: refused.status });
    res.redirect(303, `${pathOf(req)}?done=idp_config#h-idp`);
  });

  // A test sign-in: to the IdP and back to our ACS, which answers it with the diagnosis page.
  router.post('/setup/:token/test', express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 2 }), async (req, res) => {
    const grant = await grantOf(req);
    const connection = await findConnection(database.db, grant.connectionId);
    if (!connection)
      throw new AppError('connection_pending', 409, 'Give us your IdP’s details first: the test sign-in goes through your IdP.');
    const started = await startTestSignIn(samlOptions(deps), connection);
    if (started.kind === 'post') return sendPage(res, samlPostPage(connection.ssoUrl, started.fields));
    res.redirect(303, started.url);
  });

  // A setup link's other paths are not pages: said plainly rather than with the site's generic 404.
  router.all('/setup/:token/*rest', () => {
    throw new AppError('not_found', 404, 'There is no such page under this setup link.');
  });

  return router;
}
