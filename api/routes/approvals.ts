import { createHash } from 'node:crypto';
import { parse as parseForm } from 'node:querystring';
import { type Request, type Response, Router } from 'express';
import getRawBody from 'raw-body';
import { decideApproval, linkRefusal } from '../../domain/approvalDecision.js';
import { type ApprovalLink, findApproval } from '../../domain/approvals.js';
import { approvedMigrationList, migrationListPage, migrationListVersion } from '../../domain/migrationListPages.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { passwordKeepers, pilotUsersOf } from '../../domain/pilot.js';
import { rolloutProgress } from '../../domain/rollout.js';
import { AppError } from '../../lib/errors.js';
import type { ApiDeps } from '../deps.js';
import { prefersJson, unreadableFormEncoding } from '../http.js';
import { approvalPage, approvalResultPage, type StepContext } from '../pages/approval.js';
import { sendPage } from '../pages/layout.js';
import { approvalForm, userSidSchema } from '../schemas.js';

const reviewPageSize = 100;

/**
 * The most fields an approval form may have. A review page posts at most ~105 (its 100 checkboxes,
 * decision, reason, the filter, the page button, and one `excluded` field carrying the other pages'
 * ticks); the headroom lets a script repeat `exclude` as the contract allows. Counted before parsing:
 * 40,000 repeated fields once cost body-parser's qs 8–12 s of event loop, with every request waiting.
 */
export const maxApprovalFormFields = 1000;

/**
 * The largest body a link's page can post: its comment (2,000 characters, at most 9 bytes each once
 * UTF-8 is percent-encoded), the page's checkboxes (`exclude=US…&`, 43 bytes each), the other fields,
 * and for a migration list every one of its users in `excluded` (34 characters and a separator, up
 * to 37 bytes when the separator is an encoded comma). A pilot or go-ahead link gets about 23 KiB,
 * a list of 25,000 about 940 KiB; the 8 MB body-parser allowed let a post keep the API busy for minutes.
 */
export function approvalBodyLimit(listTotal: number): number {
  return 2000 * 9 + reviewPageSize * 43 + 1024 + listTotal * 37;
}

/** Discards a refused body as it arrives, so the keep-alive connection can carry the next request. */
function refuseBody(req: Request, error: AppError): AppError {
  req.resume();
  return error;
}

/**
 * Reads the approval form as the ACS reads its own (api/routes/saml.ts): a declared length over the
 * link's limit is refused before any of it is read, compressed bodies and foreign charsets are refused
 * rather than decoded, and the body is split by node:querystring into an object without a prototype,
 * once its fields have been counted.
 */
async function readApprovalForm(req: Request, limit: number): Promise<Record<string, unknown>> {
  if (req.headers['content-length'] === '0' || (req.headers['content-length'] === undefined && !req.headers['transfer-encoding']))
    return {};
  if (!req.is('application/x-www-form-urlencoded'))
    throw refuseBody(req, new AppError('unsupported_media_type', 415, 'The approval form is posted as application/x-www-form-urlencoded.'));
  const unsupported = unreadableFormEncoding(req);
  if (unsupported) throw refuseBody(req, new AppError('unsupported_encoding', 415, `The approval form cannot be read in ${unsupported}.`));
  const tooLarge = () =>
    new AppError('payload_too_large', 413, `The form is larger than the ${limit} bytes this link's page can post.`, { limitBytes: limit });
  if (Number(req.headers['content-length']) > limit) throw refuseBody(req, tooLarge());
  let text: string;
  try {
    text = await getRawBody(req, { length: req.headers['content-length'], limit, encoding: 'utf-8' });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') throw refuseBody(req, tooLarge());
    throw new AppError('malformed_body', 400, 'The form could not be read.');
  }
  let fields = 1;
  for (let at = text.indexOf('&'); at !== -1 && fields <= maxApprovalFormFields; at = text.indexOf('&', at + 1)) fields++;
  if (fields > maxApprovalFormFields)
    throw new AppError(
      'too_many_fields',
      413,
      `The form has more than ${maxApprovalFormFields} fields; send the users to exclude in one "excluded" field, separated by spaces.`,
    );
  return parseForm(text, '&', '=', { maxKeys: maxApprovalFormFields });
}

/**
 * What a page asks the approver to decide on, as a digest: the pilot users, or the approved list and how
 * many it enforces and leaves on passwords. A migration list's link is bound to its version already.
 */
function shownDigest(context: StepContext): string | undefined {
  const facts = shownFacts(context);
  return (
    facts &&
    createHash('sha256')
      .update(`${context.step}\n${facts.join('\n')}`)
      .digest('hex')
      .slice(0, 32)
  );
}

function shownFacts(context: StepContext): string[] | undefined {
  switch (context.step) {
    case 'pilot':
      return context.users.map((u) => u.userSid).sort();
    case 'migration_list':
      return undefined;
    case 'go_ahead':
      return [context.listId ?? '', String(context.toEnforce), String(context.excluded), String(context.keepers.count)];
  }
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const lastString = (value: unknown) =>
  asList(value)
    .filter((v): v is string => typeof v === 'string')
    .at(-1);

/** What the review form carries between its pages, or back after a refused decision. */
interface ReviewState {
  ticked: string[];
  page: number;
  filter: 'all' | 'flagged';
  reason?: string;
}

/**
 * The ticks are the page's checkboxes (`exclude`) and the other pages' (`excluded`, one field); a page
 * button posts `action=page:N`, a filter button `action=view:all|flagged`. A GET link may name a page.
 */
function reviewState(source: Record<string, unknown>): ReviewState {
  const carried = asList(source.excluded).flatMap((value) => (typeof value === 'string' ? value.split(/[\s,]+/) : []));
  const ticked = [...asList(source.exclude), ...carried].filter((sid): sid is string => userSidSchema.safeParse(sid).success);
  const action = lastString(source.action) ?? '';
  const viewAction = /^view:(all|flagged)$/.exec(action)?.[1];
  const pageAction = /^page:(\d{1,7})$/.exec(action)?.[1];
  // A filter button starts again at the first page of what it shows.
  const page = viewAction ? 1 : Number.parseInt(pageAction ?? lastString(source.page) ?? '1', 10);
  return {
    ticked: [...new Set(ticked)],
    page: Number.isFinite(page) ? page : 1,
    filter: (viewAction ?? lastString(source.view) ?? lastString(source.show)) === 'flagged' ? 'flagged' : 'all',
    reason: lastString(source.reason),
  };
}

export function approvalsRouter(deps: ApiDeps): Router {
  const { database, clock, approvalSecret } = deps;
  const router = Router();

  async function stepContext(link: ApprovalLink, state: ReviewState): Promise<StepContext> {
    switch (link.step) {
      case 'pilot':
        return { step: 'pilot', users: await pilotUsersOf(database.db, link.onboardingId) };
      case 'migration_list': {
        const list = await migrationListVersion(database.sql, link.onboardingId, link.subjectVersion ?? 0);
        const page =
          list && (await migrationListPage(database.sql, list.id, { page: state.page, pageSize: reviewPageSize, filter: state.filter }));
        return { step: 'migration_list', list, page: page && { ...page, filter: state.filter }, ticked: new Set(state.ticked) };
      }
      case 'go_ahead': {
        // The go-ahead enforces the approved version minus its exclusions; whoever else is enabled keeps a password.
        const list = await approvedMigrationList(database.sql, link.onboardingId);
        const progress = list ? await rolloutProgress(database.sql, list.id) : { total: 0, enabled: 0, excluded: 0 };
        const onboarding = await findOnboarding(database.db, link.onboardingId);
        const keepers = await passwordKeepers(database.sql, { connectionId: onboarding.connectionId, listId: list?.id ?? null });
        return {
          step: 'go_ahead',
          listId: list?.id ?? null,
          toEnforce: progress.total,
          alreadyEnabled: progress.enabled,
          excluded: progress.excluded,
          keepers,
        };
      }
    }
  }

  async function showApproval(res: Response, link: ApprovalLink, state: ReviewState, problem?: { error: string; status: number }) {
    const onboarding = await findOnboarding(database.db, link.onboardingId);
    const context = await stepContext(link, state);
    sendPage(
      res,
      approvalPage({
        customerName: onboarding.customerName,
        expiresAt: link.expiresAt,
        context,
        reason: state.reason,
        shown: shownDigest(context),
        ...problem,
      }),
    );
  }

  async function usableLink(req: Request, now: Date) {
    const link = await findApproval(database.db, approvalSecret, String(req.params.token), now);
    const problem = linkRefusal(link);
    if (problem || !link) throw problem;
    return link;
  }

  router.get('/approvals/:token', async (req, res) => {
    const link = await usableLink(req, clock.now());
    await showApproval(res, link, reviewState(req.query));
  });

  router.post('/approvals/:token', async (req, res) => {
    const now = clock.now();
    // The link first: a post to a link that cannot be used is answered without reading its body.
    const link = await usableLink(req, now).catch((error: unknown) => {
      req.resume();
      throw error;
    });
    const list =
      link.step === 'migration_list' ? await migrationListVersion(database.sql, link.onboardingId, link.subjectVersion ?? 0) : undefined;
    const fields = await readApprovalForm(req, approvalBodyLimit(list?.total ?? 0));
    // A page or filter button never decides: it shows the list again with the ticks carried along.
    if (fields.action !== undefined) return await showApproval(res, link, reviewState(fields));
    const form = approvalForm.parse(fields);
    if (form.decision === 'reject' && !form.reason) {
      const message = 'Please say why you reject, so support can correct it.';
      if (prefersJson(req)) throw new AppError('reason_required', 400, message);
      return await showApproval(res, link, { ...reviewState(fields), page: 1, filter: 'all' }, { error: message, status: 400 });
    }
    // A page that carried what it showed decides exactly that: if the pilot set or the go-ahead counts
    // changed since, nothing is decided and the page shows what is true now.
    if (form.shown !== undefined && link.step !== 'migration_list') {
      const current = shownDigest(await stepContext(link, reviewState(fields)));
      if (current !== form.shown) {
        const message = `What this page showed has changed since you opened it (${link.step === 'pilot' ? 'the pilot users' : 'who will be enforced'}). Nothing was decided: check it again below, then decide.`;
        if (prefersJson(req)) throw new AppError('changed_since_shown', 409, message);
        return await showApproval(res, link, reviewState(fields), { error: message, status: 409 });
      }
    }
    const excludes = [...new Set([...(asList(form.exclude) as string[]), ...(form.excluded ?? [])])];
    const { excluded } = await decideApproval(
      { database, temporal: async () => (await deps.temporal()).client, approvalSecret, logger: req.log },
      { link, token: String(req.params.token), decision: form.decision, reason: form.reason, excludes, list, now },
    );
    if (prefersJson(req)) return res.json({ step: link.step, decision: form.decision, excluded });
    const onboarding = await findOnboarding(database.db, link.onboardingId);
    sendPage(res, approvalResultPage({ step: link.step, decision: form.decision, customerName: onboarding.customerName, excluded }));
  });

  return router;
}
