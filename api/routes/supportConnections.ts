// The console's side of live connections (issue #13, items 1 and 3): the same domain functions as
// /api/connections, each change with support's reason in its audit event; a refused form comes back with
// what was typed and every problem beside its field.
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { Problem } from '../../contract/onboarding.js';
import { isId } from '../../contract/vocabulary.js';
import { connectionCustomerName, listConnections } from '../../domain/connectionList.js';
import { findConnection } from '../../domain/connections.js';
import {
  addCertificate,
  connectionView,
  disableConnection,
  editConnection,
  enableConnection,
  removeCertificate,
} from '../../domain/liveConnections.js';
import { startTestSignIn } from '../../domain/testSignIns.js';
import { AppError } from '../../lib/errors.js';
import { type ApiDeps, samlOptions } from '../deps.js';
import type { FormProblem, FormState } from '../pages/forms.js';
import { sendPage } from '../pages/layout.js';
import { samlPostPage } from '../pages/samlPost.js';
import {
  type ConnectionForms,
  connectionPath,
  currentValues,
  editFields,
  supportConnectionListPage,
  supportConnectionPage,
} from '../pages/supportConnection.js';
import { certificateBody, certificateParams, changeReasonBody, connectionEditBody } from '../schemas.js';
import { supportConsole } from './supportShared.js';

/** What a change just done says at the top of the connection's page (`?done=`). */
const notices: Record<string, { text: string; tone: 'ok' | 'warn' }> = {
  edited: { text: 'The IdP side is changed, with your reason in the audit trail.', tone: 'ok' },
  certificate_added: { text: 'The certificate is added: it verifies logins from now on.', tone: 'ok' },
  certificate_removed: { text: 'The certificate is retired: it no longer verifies logins.', tone: 'ok' },
  disabled: { text: 'The connection is disabled: its logins are refused and its SSO sessions have ended.', tone: 'warn' },
  enabled: { text: 'The connection is enabled again.', tone: 'ok' },
};

const labels: Record<string, string> = {
  ssoUrl: 'SSO URL',
  ssoBinding: 'SSO binding',
  logoutRedirectUrl: 'Logout URL',
  emailAttribute: 'Email attribute',
  metadataUrl: 'IdP metadata URL',
  certificate: 'Certificate',
  reason: 'Reason',
};

/** The form's text fields (a urlencoded body has nothing else, but a repeated name arrives as an array). */
const formText = (body: unknown, names: readonly string[]): Record<string, string> => {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return Object.fromEntries(names.map((name) => [name, typeof raw[name] === 'string' ? raw[name] : '']));
};

/**
 * A refusal a form can show: the schema's (400) or the domain's (422 invalid_idp_config with every problem,
 * 409 last_certificate and certificate_exists, 422 too_many_certificates). Anything else (404, a failure)
 * goes to the error page.
 */
function formRefusal(error: unknown): { status: number; problems: FormProblem[] } | undefined {
  if (error instanceof z.ZodError) {
    return {
      status: 400,
      problems: error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '');
        return { field: name, code: 'invalid_field', message: `${labels[name] ?? name}: ${issue.message}` };
      }),
    };
  }
  if (!(error instanceof AppError) || error.httpStatus === 404 || error.httpStatus >= 500) return undefined;
  if (error.code === 'invalid_idp_config' && Array.isArray(error.details))
    return {
      status: error.httpStatus,
      problems: (error.details as Problem[]).map((p) => ({ field: p.field, code: p.code, message: p.message })),
    };
  return { status: error.httpStatus, problems: [{ field: '', code: error.code, message: error.message }] };
}

export function supportConnectionsRouter(deps: ApiDeps): Router {
  const { database, config, clock, connections } = deps;
  const router = Router();
  const { signedIn, form, largeForm } = supportConsole(deps);

  const connectionId = (req: Request): string => {
    const id = String(req.params.id);
    if (!isId('connection', id)) throw new AppError('not_found', 404, `connection ${id} not found`);
    return id;
  };
  const view = (id: string) => connectionView(database.db, id, { publicBaseUrl: config.publicBaseUrl, now: clock.now() });
  const change = (reason: string) => ({ actor: 'support', reason, now: clock.now() });

  async function showPage(
    res: Response,
    id: string,
    extra: { forms?: ConnectionForms; status?: number; notice?: (typeof notices)[string] },
  ) {
    const connection = await view(id);
    const customerName = (await connectionCustomerName(database.db, id)) ?? '';
    sendPage(res, supportConnectionPage({ connection, customerName, ...extra }));
  }

  /** Runs one change; done: back to the page with its notice, refused: the page again with the form as typed. */
  async function act(
    req: Request,
    res: Response,
    what: { done: string; anchor: string; values: Record<string, string>; refusedForm: (state: FormState) => ConnectionForms },
    run: (id: string) => Promise<string | undefined>,
  ) {
    const id = connectionId(req);
    try {
      const query = await run(id);
      // The ACS in this process sees the change at once; others within their cache's 5 s.
      connections.forget(id);
      res.redirect(303, `${connectionPath(id)}?done=${what.done}${query ?? ''}#${what.anchor}`);
    } catch (error) {
      const refused = formRefusal(error);
      if (!refused) throw error;
      await showPage(res, id, { status: refused.status, forms: what.refusedForm({ values: what.values, problems: refused.problems }) });
    }
  }

  router.get('/support/connections', signedIn, async (_req, res) => {
    sendPage(res, supportConnectionListPage(await listConnections(database.db, clock.now())));
  });

  router.get('/support/connections/:id', signedIn, async (req, res) => {
    const id = connectionId(req);
    const done = typeof req.query.done === 'string' ? notices[req.query.done] : undefined;
    const lockedOut = Number(req.query.lockedOut);
    const notice =
      done && req.query.done === 'disabled' && Number.isInteger(lockedOut) && lockedOut > 0
        ? {
            ...done,
            text: `${done.text} ${lockedOut} user${lockedOut === 1 ? ' is' : 's are'} enforced on it and cannot sign in either way until it is enabled again.`,
          }
        : done;
    await showPage(res, id, { notice });
  });

  router.post('/support/connections/:id/edit', signedIn, form, async (req, res) => {
    const values = formText(req.body, editFields);
    await act(req, res, { done: 'edited', anchor: 'h-idp', values, refusedForm: (edit) => ({ edit }) }, async (id) => {
      const before = currentValues(await view(id));
      // Only what support changed is sent: an unchanged URL is not checked (or fetched) again.
      const changed = Object.fromEntries(
        (['ssoUrl', 'ssoBinding', 'logoutRedirectUrl', 'emailAttribute', 'metadataUrl'] as const)
          .filter((name) => values[name] !== before[name])
          .map((name) => [name, name === 'ssoUrl' || name === 'ssoBinding' || values[name] !== '' ? values[name] : null]),
      );
      const { reason, ...edit } = connectionEditBody.parse({ ...changed, reason: values.reason });
      if (Object.keys(edit).length === 0)
        throw new AppError('nothing_changed', 400, 'Nothing is changed: edit a field first, or leave the form.');
      await editConnection(database.db, id, edit, change(reason), { allowPrivateAddresses: config.allowPrivateIdpUrls });
      return undefined;
    });
  });

  router.post('/support/connections/:id/certificates', signedIn, largeForm, async (req, res) => {
    const values = formText(req.body, ['certificate', 'reason']);
    await act(
      req,
      res,
      { done: 'certificate_added', anchor: 'h-certificates', values, refusedForm: (certificate) => ({ certificate }) },
      async (id) => {
        const { certificate, reason } = certificateBody.parse(values);
        await addCertificate(database.db, id, certificate, change(reason));
        return undefined;
      },
    );
  });

  router.post('/support/connections/:id/certificates/:fingerprintSha256/remove', signedIn, form, async (req, res) => {
    const values = formText(req.body, ['reason']);
    const { fingerprintSha256 } = certificateParams.parse({ ...req.params, id: connectionId(req) });
    await act(
      req,
      res,
      { done: 'certificate_removed', anchor: 'h-certificates', values, refusedForm: (state) => ({ remove: { fingerprintSha256, state } }) },
      async (id) => {
        const { reason } = changeReasonBody.parse(values);
        await removeCertificate(database.db, id, fingerprintSha256, change(reason));
        return undefined;
      },
    );
  });

  router.post('/support/connections/:id/test', signedIn, form, async (req, res) => {
    const connection = await findConnection(database.db, connectionId(req));
    if (!connection)
      throw new AppError('connection_pending', 409, 'This connection has no IdP side yet: a test sign-in goes through the IdP.');
    const started = await startTestSignIn(samlOptions(deps), connection);
    if (started.kind === 'post') return sendPage(res, samlPostPage(connection.ssoUrl, started.fields));
    res.redirect(303, started.url);
  });

  router.post('/support/connections/:id/disable', signedIn, form, async (req, res) => {
    const values = formText(req.body, ['reason']);
    await act(req, res, { done: 'disabled', anchor: 'h-status', values, refusedForm: (status) => ({ status }) }, async (id) => {
      const { reason } = changeReasonBody.parse(values);
      const { lockedOut } = await disableConnection(database.db, id, change(reason));
      return `&lockedOut=${lockedOut}`;
    });
  });

  router.post('/support/connections/:id/enable', signedIn, form, async (req, res) => {
    const values = formText(req.body, ['reason']);
    await act(req, res, { done: 'enabled', anchor: 'h-status', values, refusedForm: (status) => ({ status }) }, async (id) => {
      const { reason } = changeReasonBody.parse(values);
      await enableConnection(database.db, id, change(reason));
      return undefined;
    });
  });

  return router;
}
