// The console's forms for the steps after IdP details: pilot users in and out, a migration list built
// as a draft, previewed and sent, a pending link mailed again, and cancel. Each calls the domain
// function the support API's route calls (domain/onboardingCommands.ts), so the workflow refuses a form
// for what it refuses a request; a refusal comes back on the onboarding's page, in place, as a 4xx.
import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { requireVerifiedDomains } from '../../domain/domainClaims.js';
import { onboardingOfList } from '../../domain/migrationLists.js';
import {
  buildMigrationListFor,
  cancelOnboardingFor,
  nominatePilotUsersFor,
  removePilotUsersFor,
  resendApprovalLinkFor,
  sendMigrationListFor,
} from '../../domain/onboardingCommands.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { reissueSetupLink } from '../../domain/setupLinks.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { requireSameOrigin } from '../middleware/sameOrigin.js';
import type { FormProblem, FormState } from '../pages/forms.js';
import type { OnboardingForms } from '../pages/supportOnboarding.js';
import { cancelBody, changeReasonBody, migrationListBody, migrationListId, pilotUsersBody } from '../schemas.js';
import { approvalStepParam, removePilotUsersBody, resendApprovalBody } from '../stepSchemas.js';
import { onboardingPageSender } from './supportOnboardingPage.js';
import { supportConsole } from './supportShared.js';

/** A form's fields as text; a field sent more than once (checkboxes) is joined by spaces. */
const formValues = (body: unknown, names: readonly string[]): Record<string, string> => {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(' ') : '');
  return Object.fromEntries(names.map((name) => [name, text(raw[name])]));
};

/** Emails or SIDs one per line, or separated by commas, semicolons or spaces, as support pastes them. */
const listOf = (text: string | undefined) => (text ?? '').split(/[\s,;]+/).filter(Boolean);

/** Each zod issue on the form's field it is about; an entry of a list names the entry. */
function problemsOf(error: z.ZodError, field: (path: PropertyKey[]) => string, entries: string[] = []): FormProblem[] {
  return error.issues.map((issue) => {
    const index = issue.path.find((p) => typeof p === 'number');
    const entry = typeof index === 'number' ? entries[index] : undefined;
    return {
      field: field(issue.path),
      code: 'invalid_field',
      message: entry !== undefined ? `“${entry}” ${issue.message}` : issue.message,
    };
  });
}

const refusedState = (values: Record<string, string>, error: AppError, field = ''): FormState => ({
  values,
  problems: [{ field, code: error.code, message: error.message }],
});

/** The console's resend form names the step in a field; the API names it in the path. */
const resendForm = resendApprovalBody.extend({ step: approvalStepParam });

export function supportStepsRouter(deps: ApiDeps): Router {
  const { database, config } = deps;
  const router = Router();
  const { signedIn, form, largeForm, client, onboardingId } = supportConsole(deps);
  const sendOnboardingPage = onboardingPageSender(deps);
  const pageOf = (id: string) => `/support/onboardings/${encodeURIComponent(id)}`;

  router.use('/support', requireSameOrigin(config.publicBaseUrl));

  /**
   * Runs one step of a form: its domain call, then back to the page with `done`; a refusal of the
   * workflow or the domain (wrong stage, unverified domains, …) shows on the same form with its status.
   */
  async function step(
    req: Request,
    res: Response,
    formName: keyof OnboardingForms,
    values: Record<string, string>,
    run: () => Promise<string>,
  ): Promise<void> {
    try {
      res.redirect(303, await run());
    } catch (error) {
      if (!(error instanceof AppError) || error.httpStatus >= 500 || error.code === 'not_found') throw error;
      await sendOnboardingPage(req, res, { status: error.httpStatus, forms: { [formName]: refusedState(values, error) } });
    }
  }

  const refuse = (req: Request, res: Response, formName: keyof OnboardingForms, state: FormState, status = 400) =>
    sendOnboardingPage(req, res, { status, forms: { [formName]: state } });

  router.post('/support/onboardings/:id/pilot-users', signedIn, largeForm, async (req, res) => {
    const id = onboardingId(req);
    const values = formValues(req.body, ['emails']);
    const emails = listOf(values.emails);
    const parsed = pilotUsersBody.safeParse({ emails });
    if (!parsed.success) return refuse(req, res, 'pilot', { values, problems: problemsOf(parsed.error, () => 'emails', emails) });
    await step(req, res, 'pilot', values, async () => {
      await findOnboarding(database.db, id);
      await requireVerifiedDomains(database.db, id);
      await nominatePilotUsersFor(database.db, await client(), id, parsed.data.emails);
      return `${pageOf(id)}?done=pilot_nominated#h-pilot`;
    });
  });

  router.post('/support/onboardings/:id/pilot-users/remove', signedIn, form, async (req, res) => {
    const id = onboardingId(req);
    const values = formValues(req.body, ['userSids', 'reason']);
    const parsed = removePilotUsersBody.safeParse({ userSids: listOf(values.userSids), reason: values.reason });
    if (!parsed.success) return refuse(req, res, 'pilotRemove', { values, problems: problemsOf(parsed.error, (p) => String(p[0])) });
    await step(req, res, 'pilotRemove', values, async () => {
      await removePilotUsersFor(database.db, await client(), id, parsed.data.userSids, parsed.data.reason);
      return `${pageOf(id)}?done=pilot_removed#h-pilot`;
    });
  });

  router.post('/support/onboardings/:id/migration-list', signedIn, largeForm, async (req, res) => {
    const id = onboardingId(req);
    const values = formValues(req.body, ['method', 'domain', 'sids']);
    const sids = listOf(values.sids);
    const body =
      values.method === 'domain'
        ? { method: 'domain', domain: values.domain, send: false }
        : values.method === 'accountSids'
          ? { method: 'accountSids', accountSids: sids, send: false }
          : { method: values.method, userSids: sids, send: false };
    const parsed = migrationListBody.safeParse(body);
    if (!parsed.success) {
      const field = (p: PropertyKey[]) => (p[0] === 'domain' ? 'domain' : p[0] === 'method' ? 'method' : 'sids');
      return refuse(req, res, 'list', { values, problems: problemsOf(parsed.error, field, sids) });
    }
    const { send: _send, ...source } = parsed.data;
    await step(req, res, 'list', values, async () => {
      await findOnboarding(database.db, id);
      await requireVerifiedDomains(database.db, id);
      await buildMigrationListFor(database.db, await client(), id, { ...source, draft: true });
      return `${pageOf(id)}?done=list_drafted#h-draft`;
    });
  });

  router.post('/support/onboardings/:id/migration-list/:listId/send', signedIn, async (req, res) => {
    const id = onboardingId(req);
    const listId = String(req.params.listId);
    await step(req, res, 'send', {}, async () => {
      // A list of another onboarding is not this page's to send.
      if (!migrationListId.safeParse(listId).success || (await onboardingOfList(database.sql, listId)) !== id)
        throw new AppError('not_found', 404, `migration list ${listId} not found`);
      await sendMigrationListFor(database.db, await client(), id, listId);
      return `${pageOf(id)}?done=list_sent#h-list`;
    });
  });

  router.post('/support/onboardings/:id/approvals/resend', signedIn, form, async (req, res) => {
    const id = onboardingId(req);
    const values = formValues(req.body, ['step', 'reason']);
    const parsed = resendForm.safeParse(values);
    if (!parsed.success) return refuse(req, res, 'resend', { values, problems: problemsOf(parsed.error, (p) => String(p[0])) });
    await step(req, res, 'resend', values, async () => {
      await resendApprovalLinkFor(database.db, await client(), id, parsed.data.step, parsed.data.reason);
      return `${pageOf(id)}?done=link_resent#h-approvals`;
    });
  });

  router.post('/support/onboardings/:id/setup-link', signedIn, form, async (req, res) => {
    const id = onboardingId(req);
    const values = formValues(req.body, ['reason']);
    const parsed = changeReasonBody.safeParse(values);
    if (!parsed.success) return refuse(req, res, 'setupLink', { values, problems: problemsOf(parsed.error, (p) => String(p[0])) });
    await step(req, res, 'setupLink', values, async () => {
      await findOnboarding(database.db, id);
      await reissueSetupLink(database.db, id, {
        reason: parsed.data.reason,
        secret: deps.approvalSecret,
        publicBaseUrl: config.publicBaseUrl,
        now: deps.clock.now(),
      });
      return `${pageOf(id)}?done=setup_link_issued#h-setup`;
    });
  });

  router.post('/support/onboardings/:id/cancel', signedIn, form, async (req, res) => {
    const id = onboardingId(req);
    const values = formValues(req.body, ['revertTo', 'reason']);
    const parsed = cancelBody.safeParse({ reason: values.reason, revertTo: values.revertTo || undefined });
    if (!parsed.success) return refuse(req, res, 'cancel', { values, problems: problemsOf(parsed.error, (p) => String(p[0])) });
    await step(req, res, 'cancel', values, async () => {
      await cancelOnboardingFor(database.db, await client(), id, parsed.data.reason, parsed.data.revertTo);
      return `${pageOf(id)}?done=cancelled`;
    });
  });

  return router;
}
