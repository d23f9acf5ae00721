import { type Request, Router } from 'express';
import { idPattern } from '../../contract/onboarding.js';
import { recordAuditEvent } from '../../domain/audit.js';
import { addCertificateProblems } from '../../domain/certificateStatus.js';
import { dnsTxtLookup, overrideDomainVerification, verifyDomainsByDns } from '../../domain/domainClaims.js';
import { confirmPilotFor, liveProblems } from '../../domain/onboardingCommands.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { onboardingOverview, parseOnboardingFilter } from '../../domain/supportOverview.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { localRedirectTarget, readCookie } from '../http.js';
import { requireSameOrigin } from '../middleware/sameOrigin.js';
import { judgeSupportToken, supportTokenFailuresAllowed } from '../middleware/supportAuth.js';
import { clearSupportCookie, endSupportSession, setSupportCookie, supportCookieName } from '../middleware/supportSession.js';
import { sendPage } from '../pages/layout.js';
import { supportDashboardPage } from '../pages/supportDashboard.js';
import { supportSignInPage } from '../pages/supportSignIn.js';
import { domainOverrideForm } from '../schemas.js';
import { onboardingPageSender } from './supportOnboardingPage.js';
import { supportConsole } from './supportShared.js';

const onboardingIdPattern = idPattern('onboarding');

/** Wrong support tokens allowed per client address in a 15-minute window, shared with the API's bearer check. */
export const supportSignInFailuresAllowed = supportTokenFailuresAllowed;

/** The support dashboard (`/support`): signed in with the support token, read-mostly, every form same-origin. */
export function supportPagesRouter(deps: ApiDeps): Router {
  const { database, config, clock } = deps;
  const router = Router();
  const { sessions, signedIn, form, client } = supportConsole(deps);
  const secure = config.publicBaseUrl.startsWith('https:');
  const txtLookup = dnsTxtLookup(config.dnsResolver);
  const sendOnboardingPage = onboardingPageSender(deps);

  router.use('/support', requireSameOrigin(config.publicBaseUrl));

  const refreshing = (req: Request) => req.query.refresh === '1';

  router.post('/support/session', form, async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const next = localRedirectTarget(req.body?.next, '/support');
    const target = next.startsWith('/support') ? next : '/support';
    if (!sessions.enabled) return sendPage(res, supportSignInPage({ next: target, disabled: true }));
    // Guessing the token is throttled per client address, like password logins, and every miss is audited.
    const verdict = await judgeSupportToken(database.db, { matches: sessions.tokenMatches(token), ip: req.ip, now: clock.now() });
    if (!verdict.ok) {
      await recordAuditEvent(database.db, {
        type: 'support.sign_in_refused',
        actor: 'support',
        reasonCode: verdict.reasonCode,
        traceId: req.traceId,
        detail: { ip: req.ip },
      });
      if (verdict.reasonCode === 'rate_limited') {
        res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
        const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
        const error = `Too many wrong tokens from this address. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
        return sendPage(res, supportSignInPage({ next: target, status: 429, error }));
      }
      req.log.warn('support dashboard sign-in with a wrong token');
      return sendPage(res, supportSignInPage({ next: target, status: 401, error: 'That is not the support token.' }));
    }
    const session = sessions.issue(clock.now());
    await recordAuditEvent(database.db, { type: 'support.signed_in', actor: 'support', traceId: req.traceId, detail: { ip: req.ip } });
    setSupportCookie(res, session.value, session.expiresAt, secure);
    res.redirect(303, target);
  });

  // Clearing the cookie is not enough: a copy of it would still be good for hours, so the session is ended on the server.
  router.post('/support/sign-out', async (req, res) => {
    const session = sessions.verify(readCookie(req, supportCookieName), clock.now());
    if (session) await endSupportSession(database.db, session, { traceId: req.traceId, ip: req.ip, now: clock.now() });
    clearSupportCookie(res, secure);
    res.redirect(303, '/support');
  });

  router.get('/support', signedIn, async (req, res) => {
    const filter = parseOnboardingFilter(req.query);
    const onboardings = await onboardingOverview(database.sql, filter);
    let temporalDown = false;
    const problems = await client()
      .then((c) => liveProblems(c, onboardings))
      .catch(() => {
        temporalDown = true;
        return new Map();
      });
    await addCertificateProblems(
      database.sql,
      problems,
      onboardings.map((o) => o.id),
      {
        now: clock.now(),
        warnWithinMs: config.certificates.reminderThresholdsMs[0],
      },
    );
    sendPage(res, supportDashboardPage({ onboardings, problems, temporalDown, refreshing: refreshing(req), filter }));
  });

  router.get('/support/onboardings/:id', signedIn, async (req, res) => {
    await sendOnboardingPage(req, res);
  });

  // The same checks as the support API's (domain/domainClaims.ts), audited as support's.
  router.post('/support/onboardings/:id/domains/verify', signedIn, async (req, res) => {
    const id = String(req.params.id);
    if (!onboardingIdPattern.test(id)) throw new AppError('not_found', 404, `onboarding ${id} not found`);
    await findOnboarding(database.db, id);
    const results = await verifyDomainsByDns(database.db, txtLookup, {
      onboardingId: id,
      secret: deps.approvalSecret,
      actor: 'support',
      now: clock.now(),
    });
    const done = results.every((r) => r.verified) ? 'domains_verified' : 'domains_unverified';
    res.redirect(303, `/support/onboardings/${encodeURIComponent(id)}?done=${done}#h-domains`);
  });

  router.post('/support/onboardings/:id/domains/override', signedIn, form, async (req, res) => {
    const id = String(req.params.id);
    if (!onboardingIdPattern.test(id)) throw new AppError('not_found', 404, `onboarding ${id} not found`);
    const { domain, reason } = domainOverrideForm.parse(req.body ?? {});
    await findOnboarding(database.db, id);
    await overrideDomainVerification(database.db, { onboardingId: id, domain, actor: 'support', reason, now: clock.now() });
    res.redirect(303, `/support/onboardings/${encodeURIComponent(id)}?done=domain_overridden#h-domains`);
  });

  router.post('/support/onboardings/:id/pilot/confirm', signedIn, async (req, res) => {
    const id = String(req.params.id);
    if (!onboardingIdPattern.test(id)) throw new AppError('not_found', 404, `onboarding ${id} not found`);
    await confirmPilotFor(database.db, await client(), id);
    res.redirect(303, `/support/onboardings/${encodeURIComponent(id)}?done=pilot_confirmed`);
  });

  return router;
}
