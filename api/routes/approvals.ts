import express, { Router } from 'express';
import { type ApprovalLink, claimApproval, findApproval, releaseApproval } from '../../domain/approvals.js';
import { pageMigrationList } from '../../domain/migrationLists.js';
import { findOnboarding, updateRefusal } from '../../domain/onboardings.js';
import { AppError } from '../../lib/errors.js';
import { recordApproval, workflowIdFor } from '../../workflows/shared.js';
import type { ApiDeps } from '../deps.js';
import { escapeHtml } from '../http.js';
import { page } from '../pages/layout.js';
import { approvalForm } from '../schemas.js';

const stepTitles = {
  pilot: 'Confirm the SSO pilot',
  migration_list: 'Review the migration list',
  go_ahead: 'Go ahead: enforce SSO',
} as const;

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

export function approvalsRouter(deps: ApiDeps): Router {
  const { database, clock, approvalSecret } = deps;
  const router = Router();

  async function migrationListSection(link: ApprovalLink, cursor: string | undefined) {
    const [list] = await database.sql<{ id: string; version: number; total: number; flagged: number; excluded: number }[]>`
      select id, version, total, flagged, excluded from migration_lists where onboarding_id = ${link.onboardingId} and version = ${link.subjectVersion ?? 0}`;
    if (!list) return '<p>The migration list could not be found.</p>';
    const pageOfEntries = await pageMigrationList(database.sql, list.id, cursor, 100);
    const rows = pageOfEntries.items
      .map(
        (e) =>
          `<tr><td><input type="checkbox" name="exclude" value="${e.userSid}" id="x-${e.userSid}"${e.excluded ? ' checked' : ''} aria-label="Exclude ${escapeHtml(e.email)}"></td><td><label for="x-${e.userSid}">${escapeHtml(e.email)}</label></td><td><code>${e.userSid}</code></td><td>${e.flags.map((f) => escapeHtml(f.replaceAll('_', ' '))).join(', ')}</td></tr>`,
      )
      .join('');
    const next = pageOfEntries.nextCursor ? `<p><a href="?cursor=${encodeURIComponent(pageOfEntries.nextCursor)}">Next page</a></p>` : '';
    return `<p>Version ${list.version}: <strong>${list.total}</strong> users, <strong>${list.flagged}</strong> flagged (outside your domains or possible aliases), ${list.excluded} excluded.</p>
<p class="muted">Tick users who do not exist in your IdP to exclude them. Approving with exclusions approves the rest; rejecting with exclusions produces a corrected list for you to review again.</p>
<table><thead><tr><th>Exclude</th><th>Email</th><th>User SID</th><th>Flags</th></tr></thead><tbody>${rows}</tbody></table>${next}`;
  }

  router.get('/approvals/:token', async (req, res) => {
    const link = await findApproval(database.db, approvalSecret, req.params.token, clock.now());
    const problem = unusable(link);
    if (problem || !link) throw problem;
    const onboarding = await findOnboarding(database.db, link.onboardingId);
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const context = link.step === 'migration_list' ? await migrationListSection(link, cursor) : '';
    const what = {
      pilot: 'Confirm that your pilot users could sign in through your identity provider.',
      migration_list: 'Check that every listed user exists in your identity provider.',
      go_ahead: 'Once you go ahead, these users can only sign in through your identity provider.',
    }[link.step];
    res.type('html').send(
      page(
        stepTitles[link.step],
        `<h1>${stepTitles[link.step]}</h1><p>For <strong>${escapeHtml(onboarding.customerName)}</strong>. ${what}</p>
<p class="muted">Nothing happens until you press a button. This link expires ${link.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.</p>
<form method="post">${context}
<label for="reason">Comment (required to reject)</label><textarea id="reason" name="reason" rows="3"></textarea>
<button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="reject">Reject</button></form>`,
      ),
    );
  });

  router.post('/approvals/:token', express.urlencoded({ extended: false, limit: '8mb', parameterLimit: 250_000 }), async (req, res) => {
    const form = approvalForm.parse(req.body ?? {});
    const now = clock.now();
    const link = await findApproval(database.db, approvalSecret, req.params.token, now);
    const problem = unusable(link);
    if (problem || !link) throw problem;
    if (form.decision === 'reject' && !form.reason)
      throw new AppError('reason_required', 400, 'Please say why you reject, so support can correct it.');
    const excludes = form.exclude === undefined ? [] : Array.isArray(form.exclude) ? form.exclude : [form.exclude];
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
        unusable(await findApproval(database.db, approvalSecret, req.params.token, now)) ??
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
    res
      .type('html')
      .send(
        page(
          'Thank you',
          `<h1>${form.decision === 'approve' ? 'Approved' : 'Rejected'}</h1><p>Your decision on “${stepTitles[link.step]}” has been recorded${excludes.length ? ` with ${excludes.length} exclusions` : ''}. Support will be notified.</p>`,
        ),
      );
  });

  return router;
}
