// The console's forms to start an onboarding and to give its IdP details: the same translation of the
// request (api/onboardingRequests.ts) and the same domain functions as POST /api/onboardings and
// POST /api/onboardings/:id/idp-config, so a form is refused for what the API refuses, field by field.
import { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { IdpConfigSubmission, Problem } from '../../contract/onboarding.js';
import { startOnboarding, submitIdpConfigFor } from '../../domain/onboardingCommands.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { requireSameOrigin } from '../middleware/sameOrigin.js';
import { type MultipartFile, multipartForm } from '../multipartForm.js';
import { idpFieldsSubmission, idpMetadataSubmission, idpMetadataUrlSubmission, startOnboardingInput } from '../onboardingRequests.js';
import type { FormProblem, FormState } from '../pages/forms.js';
import { sendPage } from '../pages/layout.js';
import { type IdpMode, idpModes, supportIdpConfigPage } from '../pages/supportIdpConfig.js';
import { blankStartForm, type StartField, startFields, supportStartPage } from '../pages/supportStart.js';
import { createOnboardingBody } from '../schemas.js';
import { supportConsole } from './supportShared.js';

/** A form's fields as text: a repeated or missing field reads as empty (the form never repeats one). */
const formValues = (body: unknown, names: readonly string[]): Record<string, string> => {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return Object.fromEntries(names.map((name) => [name, typeof raw[name] === 'string' ? raw[name] : '']));
};

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

/** Where an IdP problem is shown on the form that was sent: its own field, else the document or URL it came from. */
function idpProblemField(mode: IdpMode, problemField: string, uploaded: boolean): string {
  const name = problemField.split(/[.[]/)[0] ?? '';
  if (name === '' || name === 'emailAttribute') return name;
  if (mode === 'metadata') return uploaded ? 'metadataFile' : 'metadataXml';
  if (mode === 'metadataUrl') return 'metadataUrl';
  if (name === 'certificates') return 'certificate';
  return (idpModes.fields.fields as readonly string[]).includes(name) ? name : '';
}

/** The pasted certificates: each PEM block, or the whole text as one (bare base64) when it has none. */
const certificatesIn = (text: string): string[] => {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  return blocks ?? (text.trim() ? [text.trim()] : []);
};

export function supportActionsRouter(deps: ApiDeps): Router {
  const { database, config, clock } = deps;
  const router = Router();
  const { signedIn, form, largeForm, client, onboardingId } = supportConsole(deps);
  // The metadata form carries a file, so it is multipart; the others are urlencoded. Both bounded at 1 MB.
  const upload = multipartForm({ limit: '1mb', maxParts: 10 });
  const idpForm = (req: Request, res: Response, next: NextFunction) => (req.is('multipart/form-data') ? upload : largeForm)(req, res, next);

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
      const started = await startOnboarding(database.db, await client(), config.temporal.taskQueue, startOnboardingInput(parsed.data));
      res.redirect(303, `/support/onboardings/${encodeURIComponent(started.id)}`);
    } catch (error) {
      // A domain another onboarding serves is a problem of the form, not a dead end.
      if (!(error instanceof AppError && error.code === 'domain_taken')) throw error;
      const problem = { field: 'emailDomains', code: error.code, message: `${startFields.emailDomains}: ${error.message}` };
      sendPage(res, supportStartPage({ values, problems: [problem] }, error.httpStatus));
    }
  });

  const idpPage = async (req: Request, res: Response, sent?: { mode: IdpMode; state: FormState }, status?: number) => {
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
    const raw = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const mode = typeof raw.mode === 'string' && Object.hasOwn(idpModes, raw.mode) ? (raw.mode as IdpMode) : undefined;
    if (!mode) throw new AppError('invalid_request', 400, `mode: must be one of ${Object.keys(idpModes).join(', ')}`);
    const values = formValues(raw, idpModes[mode].fields);
    const file = mode === 'metadata' ? (res.locals.uploadedFiles as Record<string, MultipartFile> | undefined)?.metadataFile : undefined;
    const refuse = (problems: Problem[] | FormProblem[], status: number) =>
      idpPage(
        req,
        res,
        { mode, state: { values, problems: problems.map((p) => ({ ...p, field: idpProblemField(mode, p.field, file !== undefined) })) } },
        status,
      );
    const optional = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
    try {
      let submission: IdpConfigSubmission;
      if (mode === 'metadata')
        submission = idpMetadataSubmission(file ? file.content : values.metadataXml, { emailAttribute: optional(values.emailAttribute) });
      else if (mode === 'metadataUrl')
        submission = idpMetadataUrlSubmission({ metadataUrl: values.metadataUrl, emailAttribute: optional(values.emailAttribute) });
      else
        submission = await idpFieldsSubmission(
          {
            entityId: values.entityId,
            ssoUrl: values.ssoUrl,
            ssoBinding: values.ssoBinding,
            certificates: certificatesIn(values.certificate ?? ''),
            logoutRedirectUrl: optional(values.logoutRedirectUrl),
            emailAttribute: optional(values.emailAttribute),
          },
          { allowPrivateAddresses: config.allowPrivateIdpUrls, now: clock.now() },
        );
      await submitIdpConfigFor(database.db, await client(), id, submission);
    } catch (error) {
      if (error instanceof z.ZodError)
        return await refuse(
          error.issues.map((i) => ({
            field: String(i.path[0] ?? ''),
            code: 'invalid_field',
            message: `${i.path.join('.')}: ${i.message}`,
          })),
          400,
        );
      if (!(error instanceof AppError) || error.httpStatus >= 500 || error.code === 'not_found') throw error;
      if (error.code === 'invalid_idp_config' && Array.isArray(error.details))
        return await refuse(error.details as Problem[], error.httpStatus);
      // Empty or unreadable metadata, a stage that takes no IdP details: said on the form that was sent.
      const field = error.code === 'invalid_request' ? idpModes[mode].fields[0] : '';
      return await refuse([{ field, code: error.code, message: error.message }], error.httpStatus);
    }
    res.redirect(303, `/support/onboardings/${encodeURIComponent(id)}`);
  });

  return router;
}
