// The console's forms to start an onboarding and to give its IdP details: the same translation of the
// request (api/onboardingRequests.ts) and the same domain functions as POST /api/onboardings and
// POST /api/onboardings/:id/idp-config, so a form is refused for what the API refuses, field by field.
import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { startOnboarding } from '../../domain/onboardingCommands.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { formValues, idpFormParser, submitIdpForm } from '../idpConfigForm.js';
import { requireSameOrigin } from '../middleware/sameOrigin.js';
import { startContext, startOnboardingInput } from '../onboardingRequests.js';
import type { FormProblem } from '../pages/forms.js';
import type { SentIdpForm } from '../pages/idpDetailsForms.js';
import { sendPage } from '../pages/layout.js';
import { supportIdpConfigPage } from '../pages/supportIdpConfig.js';
import { blankStartForm, type StartField, startFields, supportStartPage } from '../pages/supportStart.js';
import { createOnboardingBody } from '../schemas.js';
import { supportConsole } from './supportShared.js';

/** Domains one per line or separated by commas (or spaces), as support pastes them. */
const listOf = (text: string) => text.split(/[\s,;]+/).filter(Boolean);

/** The start form as the API's request body: empty optional fields are left out, so the API's defaults apply. */
function startBody(v: Record<string, string>) {
  const optional = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
  const batch = optional(v.batchSize);
  return {
    customerName: v.customerName,
    customerId: optional(v.customerId),
    adminEmail: v.adminEmail,
    emailDomains: listOf(v.emailDomains ?? ''),
    options: {
      reminderEvery: optional(v.reminderEvery),
      approvalTimeout: optional(v.approvalTimeout),
      batchSize: batch === undefined ? undefined : /^\d{1,9}$/.test(batch) ? Number(batch) : batch,
      notifyUsers: v.notifyUsers !== 'no',
    },
  };
}

/** Each zod issue on the field of the form it is about, in words that name the field. */
function startProblems(error: z.ZodError, domains: string[]): FormProblem[] {
  return error.issues.map((issue) => {
    const [first, second] = issue.path;
    const name = (first === 'options' ? String(second) : String(first)) as StartField;
    const known = Object.hasOwn(startFields, name);
    let message = issue.message;
    if (name === 'emailDomains' && typeof second === 'number') message = `“${domains[second]}” ${message}`;
    if (name === 'batchSize') message = 'must be a whole number from 1 to 10000';
    return { field: known ? name : '', code: 'invalid_field', message: known ? `${startFields[name]}: ${message}` : message };
  });
}

export function supportActionsRouter(deps: ApiDeps): Router {
  const { database, config } = deps;
  const router = Router();
  const { signedIn, form, client, onboardingId } = supportConsole(deps);
  // The metadata form carries a file, so it is multipart; the others are urlencoded. Both bounded at 1 MB.
  const idpForm = idpFormParser();

  // Mounted before the dashboard's router (its /support/onboardings/:id would take "new"), so it checks the origin itself.
  router.use('/support', requireSameOrigin(config.publicBaseUrl));

  router.get('/support/onboardings/new', signedIn, (_req, res) => {
    sendPage(res, supportStartPage(blankStartForm()));
  });

  router.post('/support/onboardings/new', signedIn, form, async (req, res) => {
    const values = formValues(req.body, Object.keys(startFields));
    const fields = startBody(values);
    const parsed = createOnboardingBody.safeParse(fields);
    if (!parsed.success)
      return sendPage(res, supportStartPage({ values, problems: startProblems(parsed.error, fields.emailDomains) }, 400));
    try {
      const started = await startOnboarding(
        database.db,
        await client(),
        config.temporal.taskQueue,
        startOnboardingInput(parsed.data),
        startContext(deps),
      );
      res.redirect(303, `/support/onboardings/${encodeURIComponent(started.id)}`);
    } catch (error) {
      // A domain another onboarding serves is a problem of the form, not a dead end.
      if (!(error instanceof AppError && error.code === 'domain_taken')) throw error;
      const problem = { field: 'emailDomains', code: error.code, message: `${startFields.emailDomains}: ${error.message}` };
      sendPage(res, supportStartPage({ values, problems: [problem] }, error.httpStatus));
    }
  });

  const idpPage = async (req: Request, res: Response, sent?: SentIdpForm, status?: number) => {
    const onboarding = await findOnboarding(database.db, onboardingId(req));
    sendPage(
      res,
      supportIdpConfigPage({ id: onboarding.id, customerName: onboarding.customerName, stage: onboarding.stage, sent, status }),
    );
  };

  router.get('/support/onboardings/:id/idp-config', signedIn, async (req, res) => {
    await idpPage(req, res);
  });

  router.post('/support/onboardings/:id/idp-config', signedIn, idpForm, async (req, res) => {
    const id = onboardingId(req);
    await findOnboarding(database.db, id);
    const refused = await submitIdpForm(req, res, deps, id, client);
    if (refused) return await idpPage(req, res, { mode: refused.mode, state: refused.state }, refused.status);
    res.redirect(303, `/support/onboardings/${encodeURIComponent(id)}`);
  });

  return router;
}
