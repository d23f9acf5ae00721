import type { ListStatus, MigrationSource, MigrationView } from '../contract/onboarding.js';
import { supersedeOlderListReviews } from '../domain/approvals.js';
import { recordAuditEvent } from '../domain/audit.js';
import { asciiLower } from '../domain/directory.js';
import {
  buildMigrationList,
  type ExclusionSource,
  excludeEntries,
  getMigrationListSummary,
  reviseMigrationList,
  sendDraftList,
  setMigrationListStatus,
} from '../domain/migrationLists.js';
import { type ActivityDeps, badInput, requireVerifiedDomains } from './deps.js';

/** The migration list: built (or drafted), sent for review, and decided. */
export function migrationListActivities({ database, clock }: ActivityDeps) {
  const { db, sql } = database;
  const unknownExclusions = (unknown: string[]) =>
    badInput(`excluded users are not on the list: ${unknown.join(', ')}`, 'unknown_exclusions', unknown);
  return {
    async buildMigrationList(input: {
      listId: string;
      onboardingId: string;
      connectionDomains: string[];
      source: MigrationSource;
      /** A preview for support, not sent for review until `sendDraftList`. */
      draft?: boolean;
    }): Promise<MigrationView> {
      const { source } = input;
      if (source.method === 'domain' && !input.connectionDomains.some((d) => asciiLower(d) === asciiLower(source.domain)))
        throw badInput(
          `${source.domain} is not one of this onboarding's domains (${input.connectionDomains.join(', ')})`,
          'domain_not_in_onboarding',
        );
      await requireVerifiedDomains(db, input.onboardingId);
      const { created, ...summary } = await buildMigrationList(sql, input);
      // A version for review (not a draft, not empty) supersedes the links of older versions at once.
      if (!input.draft && summary.total > 0) await supersedeOlderListReviews(db, input.onboardingId, summary.version, clock.now());
      if (!created) return summary;
      await recordAuditEvent(db, {
        type: 'migration_list.built',
        onboardingId: input.onboardingId,
        detail: {
          listId: summary.listId,
          version: summary.version,
          total: summary.total,
          flagged: summary.flagged,
          ...(input.draft ? { draft: true } : {}),
        },
      });
      return summary;
    },

    /** A draft support previewed is sent for review: from now on it is the version under review. */
    async sendDraftList(input: { listId: string; onboardingId: string }): Promise<MigrationView> {
      const list = await sendDraftList(sql, input.listId);
      await supersedeOlderListReviews(db, input.onboardingId, list.version, clock.now());
      await recordAuditEvent(db, {
        type: 'migration_list.sent',
        actor: 'support',
        onboardingId: input.onboardingId,
        detail: { listId: list.listId, version: list.version, total: list.total },
      });
      return list;
    },

    /**
     * Approve (with optional exclusions) or reject; a rejection with exclusions yields the next version.
     * The exclusions are read in PostgreSQL by the decision's link (`tokenId`), where the approval route
     * stored them, so they never travel through the workflow's history; `excludes` only comes from
     * decisions recorded before that (old histories, or activities they scheduled) and wins when present.
     */
    async decideMigrationList(input: {
      listId: string;
      decision: 'approve' | 'reject';
      tokenId?: string;
      excludes?: string[];
      reason?: string;
      nextListId?: string;
    }): Promise<MigrationView> {
      const excludes: ExclusionSource =
        input.excludes !== undefined || input.tokenId === undefined ? { userSids: input.excludes ?? [] } : { tokenId: input.tokenId };
      const settle = async (status: Extract<ListStatus, 'approved' | 'rejected'>, reason?: string) => {
        await setMigrationListStatus(sql, input.listId, status, reason);
        return await getMigrationListSummary(sql, input.listId);
      };
      if (input.decision === 'approve') {
        const result = await excludeEntries(sql, input.listId, excludes);
        if (result.unknown.length > 0) throw unknownExclusions(result.unknown);
        return await settle('approved');
      }
      if (input.nextListId) {
        const revised = await reviseMigrationList(sql, { fromListId: input.listId, listId: input.nextListId, excludes });
        if (!revised.ok) throw unknownExclusions(revised.unknown);
        await setMigrationListStatus(sql, input.listId, 'rejected', input.reason);
        return revised.list;
      }
      return await settle('rejected', input.reason);
    },
  };
}
