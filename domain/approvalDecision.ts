// A customer administrator's decision on an emailed link, as one operation: claim the link, check the
// exclusions, send the decision to the workflow, give the link back if that failed, and audit it.
import type { Client } from '@temporalio/client';
import type { ApprovalDecisionKind } from '../contract/onboarding.js';
import type { Database } from '../db/client.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { type ApprovalLink, claimApproval, findApproval, releaseApproval } from './approvals.js';
import { recordAuditEvent } from './audit.js';
import type { MigrationListHeader } from './migrationListPages.js';
import { notOnList } from './migrationLists.js';
import { sendApprovalDecision } from './onboardingCommands.js';

/** Why a link cannot be used, in words the approver understands; undefined for a usable link. */
export function linkRefusal(link: ApprovalLink | undefined): AppError | undefined {
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
    return new AppError(
      'link_superseded',
      410,
      'A newer approval link has been sent for this step (what it asks about changed); please use the latest email.',
    );
  return undefined;
}

/** Every excluded user must be on the list under review, each once; nothing is decided otherwise. */
async function checkExclusions(database: Database, link: ApprovalLink, list: MigrationListHeader | undefined, excludes: string[]) {
  if (excludes.length === 0) return;
  if (link.step !== 'migration_list' || !list) throw new AppError('invalid_request', 400, 'exclusions only apply to the migration list');
  if (excludes.length > list.total)
    throw new AppError('too_many_exclusions', 422, `${excludes.length} users were excluded, but the list has ${list.total}.`, {
      excluded: excludes.length,
      total: list.total,
    });
  const unknown = await notOnList(database.sql, list.id, { userSids: excludes }, excludes.length);
  if (unknown.length > 0) {
    const named = unknown.slice(0, 20).join(', ') + (unknown.length > 20 ? ` and ${unknown.length - 20} more` : '');
    throw new AppError('unknown_exclusions', 422, `These users are not on the list: ${named}`, unknown);
  }
}

export interface DecisionDeps {
  database: Database;
  temporal: () => Promise<Client>;
  approvalSecret: string;
  logger: Logger;
}

export interface Decision {
  link: ApprovalLink;
  /** The token from the URL, to say why the link is no longer usable if another post claimed it first. */
  token: string;
  decision: ApprovalDecisionKind;
  reason?: string;
  /** Users to exclude, each once; only for the migration list, whose version under review is `list`. */
  excludes: string[];
  list?: MigrationListHeader;
  now: Date;
}

/**
 * Decides one step through its link. Of two concurrent posts exactly one claims the link and reaches
 * the workflow; the exclusions are stored with the claim and the workflow is sent only their count. A
 * refusal by the workflow (the step no longer awaits this link) keeps the link used; a fault gives it
 * back, so the approver can try again. The decision is audited once the workflow has it.
 */
export async function decideApproval(deps: DecisionDeps, input: Decision): Promise<{ excluded: number }> {
  const { database } = deps;
  const { link, decision, reason, excludes, now } = input;
  await checkExclusions(database, link, input.list, excludes);
  if (!(await claimApproval(database.db, link.tokenId, decision, now, excludes))) {
    throw (
      linkRefusal(await findApproval(database.db, deps.approvalSecret, input.token, now)) ??
      new AppError('link_used', 410, 'This link was already used.')
    );
  }
  let outcome: Awaited<ReturnType<typeof sendApprovalDecision>>;
  try {
    outcome = await sendApprovalDecision(await deps.temporal(), link.onboardingId, {
      tokenId: link.tokenId,
      step: link.step,
      decision,
      reason,
      excludedCount: excludes.length,
    });
  } catch (error) {
    await releaseApproval(database.db, link.tokenId);
    deps.logger.error({ err: error, onboardingId: link.onboardingId, step: link.step }, 'could not record an approval');
    throw new AppError(
      'temporarily_unavailable',
      503,
      'Your decision could not be recorded right now. Nothing was changed; please try the link again in a few minutes.',
    );
  }
  if (!outcome.recorded)
    throw new AppError('link_stale', 409, 'This step is no longer waiting for this link (it was decided or replaced).');
  await recordAuditEvent(database.db, {
    type: 'approval.decided',
    actor: link.approverEmail,
    onboardingId: link.onboardingId,
    detail: {
      step: link.step,
      decision,
      tokenId: link.tokenId,
      ...(link.subjectVersion !== null ? { version: link.subjectVersion } : {}),
      ...(reason ? { reason } : {}),
      excluded: excludes.length,
    },
    at: now,
  });
  return { excluded: excludes.length };
}
