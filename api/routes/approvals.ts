import express, { type Request, type Response, Router } from 'express';
import { type ApprovalLink, claimApproval, findApproval, releaseApproval } from '../../domain/approvals.js';
import { latestMigrationList, migrationListPage, migrationListVersion } from '../../domain/migrationListPages.js';
import { rolloutProgress } from '../../domain/migrationLists.js';
import { findOnboarding, updateRefusal } from '../../domain/onboardings.js';
import { pilotUsersOf } from '../../domain/pilotReport.js';
import { AppError } from '../../lib/errors.js';
import { recordApproval, workflowIdFor } from '../../workflows/shared.js';
import type { ApiDeps } from '../deps.js';
import { prefersJson } from '../http.js';
import { approvalPage, approvalResultPage, type StepContext } from '../pages/approval.js';
import { sendPage } from '../pages/layout.js';
import { approvalForm, userSidSchema } from '../schemas.js';

const reviewPageSize = 100;

/** Why a link cannot be used, in words the approver understands. */
function unusable(link: ApprovalLink | undefined): AppError | undefined {
  if (!link)
    return new AppError('invalid_link', 404, 'This approval link is not valid. Check that you copied the whole link from the email.');
  if (link.state === 'used')
    return new AppError(
      'link_used',
      410,
      `This link was already used (${link.decision ?? 'decided'} on ${link.usedAt?.toISOString().slice(0, 16).replace('T', ' ')} UTC).`,
    );
  if (link.state === 'expired')
    return new AppError('link_expired', 410, 'This approval link has expired. A new one will be sent to you by email.');
  if (link.state === 'superseded')
    return new AppError('link_superseded', 409, 'A newer approval link has been sent for this step; please use the latest email.');
  return undefined;
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const lastString = (value: unknown) =>
  asList(value)
    .filter((v): v is string => typeof v === 'string')
    .at(-1);

/** What the review form carries between its pages (by GET) or back after a refused POST. */
interface ReviewState {
  ticked: string[];
  page: number;
  filter: 'all' | 'flagged';
  reason?: string;
}

function reviewState(source: Record<string, unknown>): ReviewState {
  const ticked = asList(source.exclude).filter((sid): sid is string => userSidSchema.safeParse(sid).success);
  const page = Number.parseInt(lastString(source.page) ?? '1', 10);
  const filter = (lastString(source.view) ?? lastString(source.show)) === 'flagged' ? 'flagged' : 'all';
  return {
    ticked: [...new Set(ticked)].slice(0, 10_000),
    page: Number.isFinite(page) ? page : 1,
    filter,
    reason: lastString(source.reason),
  };
}

export function approvalsRouter(deps: ApiDeps): Router {
  const { database, clock, approvalSecret } = deps;
  const router = Router();

  async function stepContext(link: ApprovalLink, state: ReviewState): Promise<StepContext> {
    if (link.step === 'pilot') return { step: 'pilot', users: await pilotUsersOf(database.db, link.onboardingId) };
    if (link.step === 'migration_list') {
      const list = await migrationListVersion(database.sql, link.onboardingId, link.subjectVersion ?? 0);
      const page =
        list && (await migrationListPage(database.sql, list.id, { page: state.page, pageSize: reviewPageSize, filter: state.filter }));
      return { step: 'migration_list', list, page: page && { ...page, filter: state.filter }, ticked: new Set(state.ticked) };
    }
    const list = await latestMigrationList(database.sql, link.onboardingId);
    const progress = list ? await rolloutProgress(database.sql, list.id) : { total: 0, enabled: 0, excluded: 0 };
    return { step: 'go_ahead', toEnforce: progress.total, alreadyEnabled: progress.enabled, excluded: progress.excluded };
  }

  async function showApproval(res: Response, link: ApprovalLink, state: ReviewState, problem?: { error: string; status: number }) {
    const onboarding = await findOnboarding(database.db, link.onboardingId);
    sendPage(
      res,
      approvalPage({
        customerName: onboarding.customerName,
        expiresAt: link.expiresAt,
        context: await stepContext(link, state),
        reason: state.reason,
        ...problem,
      }),
    );
  }

  async function usableLink(req: Request, now: Date) {
    const link = await findApproval(database.db, approvalSecret, String(req.params.token), now);
    const problem = unusable(link);
    if (problem || !link) throw problem;
    return link;
  }

  router.get('/approvals/:token', async (req, res) => {
    const link = await usableLink(req, clock.now());
    await showApproval(res, link, reviewState(req.query));
  });

  router.post('/approvals/:token', express.urlencoded({ extended: false, limit: '8mb', parameterLimit: 250_000 }), async (req, res) => {
    const form = approvalForm.parse(req.body ?? {});
    const now = clock.now();
    const link = await usableLink(req, now);
    if (form.decision === 'reject' && !form.reason) {
      const message = 'Please say why you reject, so support can correct it.';
      if (prefersJson(req)) throw new AppError('reason_required', 400, message);
      return await showApproval(res, link, { ...reviewState(req.body ?? {}), page: 1, filter: 'all' }, { error: message, status: 400 });
    }
    const excludes = asList(form.exclude) as string[];
    if (excludes.length > 0 && link.step !== 'migration_list')
      throw new AppError('invalid_request', 400, 'exclusions only apply to the migration list');
    if (excludes.length > 0) {
      // Every excluded user must be on the list under review; nothing is decided otherwise.
      const onList = await database.sql<{ user_sid: string }[]>`
        select e.user_sid from migration_list_entries e join migration_lists l on l.id = e.list_id
        where l.onboarding_id = ${link.onboardingId} and l.version = ${link.subjectVersion ?? 0} and e.user_sid = any(${excludes}::text[])`;
      const known = new Set(onList.map((r) => r.user_sid));
      const unknown = excludes.filter((sid) => !known.has(sid));
      if (unknown.length > 0)
        throw new AppError('unknown_exclusions', 422, `These users are not on the list: ${unknown.join(', ')}`, unknown);
    }
    // Claim first: of two concurrent posts exactly one reaches the workflow.
    if (!(await claimApproval(database.db, link.tokenId, form.decision, now))) {
      throw (
        unusable(await findApproval(database.db, approvalSecret, String(req.params.token), now)) ??
        new AppError('link_used', 410, 'This link was already used.')
      );
    }
    try {
      const { client } = await deps.temporal();
      await client.workflow.getHandle(workflowIdFor(link.onboardingId)).executeUpdate(recordApproval, {
        args: [{ tokenId: link.tokenId, step: link.step, decision: form.decision, reason: form.reason, excludes }],
      });
    } catch (error) {
      const refusal = updateRefusal(error);
      if (refusal) throw new AppError('link_stale', 409, 'This step is no longer waiting for this link (it was decided or replaced).');
      await releaseApproval(database.db, link.tokenId);
      req.log.error({ err: error }, 'could not record an approval');
      throw new AppError(
        'temporarily_unavailable',
        503,
        'Your decision could not be recorded right now. Nothing was changed; please try the link again in a few minutes.',
      );
    }
    if (prefersJson(req)) return res.json({ step: link.step, decision: form.decision, excluded: excludes.length });
    const onboarding = await findOnboarding(database.db, link.onboardingId);
    sendPage(
      res,
      approvalResultPage({ step: link.step, decision: form.decision, customerName: onboarding.customerName, excluded: excludes.length }),
    );
  });

  return router;
}
