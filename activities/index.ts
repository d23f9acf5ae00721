import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailOutbox, onboardings, pilotUsers, users } from '../db/schema.js';
import { issueApproval, supersedeApprovals, supersedeOlderListReviews } from '../domain/approvals.js';
import { recordAuditEvent } from '../domain/audit.js';
import { disableConnectionsOfCancelled, spEndpoints, upsertConnection } from '../domain/connections.js';
import { asciiLower } from '../domain/directory.js';
import { connectionStatusFor, domainStatuses, domainUnverified, unverifiedDomains } from '../domain/domainClaims.js';
import { type ValidIdpConfig, validateIdpConfig } from '../domain/idpConfig.js';
import type { Mailer } from '../domain/mail/outbox.js';
import {
  applyRolloutBatch,
  buildMigrationList,
  type ExclusionSource,
  excludeEntries,
  getMigrationListSummary,
  revertEnforcement,
  reviseMigrationList,
  rolloutProgress,
  sendDraftList,
  setMigrationListStatus,
} from '../domain/migrationLists.js';
import { cancelReasonOf, recordStage } from '../domain/onboardings.js';
import { type PasswordKeepers, passwordKeepers, revertPilotUsers } from '../domain/pilotReport.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type {
  ApprovalStep,
  ConnectionView,
  IdpConfigSubmission,
  MigrationSource,
  MigrationView,
  PilotRefusal,
  Problem,
  Stage,
} from '../contract/onboarding.js';

export interface ActivityDeps {
  database: Database;
  mailer: Mailer;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** The HMAC key of approval links (lib/secrets.ts). */
  approvalSecret: string;
}

const badInput = (message: string, type: string, details?: unknown) =>
  ApplicationFailure.create({ message, type, nonRetryable: true, details: details === undefined ? [] : [details] });

/** The activities object the worker registers; every dependency comes in, so tests build the same graph. */
export function createActivities({ database, mailer, clock, config, logger, approvalSecret }: ActivityDeps) {
  const { db, sql: pg } = database;
  const connectionView = (id: string, status: string): ConnectionView => {
    const sp = spEndpoints(config.publicBaseUrl, id);
    return { id, spEntityId: sp.entityId, acsUrl: sp.acsUrl, metadataUrl: sp.metadataUrl, status };
  };

  /** After delivery the approval link is cut from the stored copy, so the outbox never holds a live token. */
  const redactLink = async (mailId: number, url: string) => {
    await db
      .update(mailOutbox)
      .set({
        textBody: sql`replace(${mailOutbox.textBody}, ${url}, '[approval link removed after sending]')`,
        htmlBody: sql`replace(${mailOutbox.htmlBody}, ${url}, '[approval link removed after sending]')`,
      })
      .where(and(eq(mailOutbox.id, mailId), ne(mailOutbox.status, 'pending')));
  };

  return {
    /** Keeps the listing projection current; a retry finds the stage already set and records nothing twice. */
    async recordOnboardingStage(input: { onboardingId: string; stage: Stage; connectionId?: string | null }): Promise<void> {
      await recordStage(db, { ...input, at: clock.now() });
    },

    /** Every problem at once; bad input is an answer here (the update reports it), not a failure. */
    async validateIdpConfig(
      submission: IdpConfigSubmission,
    ): Promise<{ ok: true; config: ValidIdpConfig; warnings: Problem[] } | { ok: false; problems: Problem[]; warnings: Problem[] }> {
      return await validateIdpConfig(submission, { allowPrivateAddresses: config.allowPrivateIdpUrls, now: clock.now() });
    },

    async saveConnection(input: {
      onboardingId: string;
      customerName: string;
      emailDomains: string[];
      config: ValidIdpConfig;
    }): Promise<ConnectionView> {
      const connection = await upsertConnection(db, {
        onboardingId: input.onboardingId,
        customerName: input.customerName,
        idpEntityId: input.config.entityId,
        ssoUrl: input.config.ssoUrl,
        ssoBinding: input.config.ssoBinding,
        logoutRedirectUrl: input.config.logoutRedirectUrl,
        emailAttribute: input.config.emailAttribute,
        emailDomains: input.emailDomains,
        certificates: input.config.certificates,
        // Draft until every domain's ownership is verified (domain/domainClaims.ts); then it goes active.
        status: await connectionStatusFor(db, input.onboardingId),
      });
      await db.update(onboardings).set({ connectionId: connection.id }).where(eq(onboardings.id, input.onboardingId));
      await recordAuditEvent(db, {
        type: 'connection.saved',
        onboardingId: input.onboardingId,
        connectionId: connection.id,
        actor: 'onboarding',
      });
      return connectionView(connection.id, connection.status);
    },

    async sendSpDetails(input: { onboardingId: string; customerName: string; recipient: string; connection: ConnectionView }) {
      await mailer.send({
        idempotencyKey: `sp_details:${input.onboardingId}:${input.connection.id}:${input.recipient}`,
        onboardingId: input.onboardingId,
        recipient: input.recipient,
        message: {
          kind: 'sp_details',
          customerName: input.customerName,
          spEntityId: input.connection.spEntityId,
          acsUrl: input.connection.acsUrl,
          metadataUrl: input.connection.metadataUrl,
          domainRecords: (await domainStatuses(db, approvalSecret, input.onboardingId))
            .filter((d) => !d.verified)
            .map((d) => ({ domain: d.domain, name: d.record.name, value: d.record.value })),
        },
      });
    },

    /**
     * Pilot users become `enabled` on the connection (never downgraded); unknown emails are reported.
     * Only once the onboarding's domains are verified, and only users of those domains who are on no
     * other connection: a pilot must never hand another customer's user to this IdP.
     */
    async enablePilotUsers(input: { onboardingId: string; connectionId: string; emails: string[] }) {
      const unverified = await unverifiedDomains(db, input.onboardingId);
      if (unverified.length > 0) {
        const refusal = domainUnverified(unverified);
        throw badInput(refusal.message, refusal.code, unverified);
      }
      const wanted = [...new Set(input.emails.map((e) => asciiLower(e.trim())))];
      return await db.transaction(async (tx) => {
        const [onboarding] = await tx
          .select({ domains: onboardings.emailDomains })
          .from(onboardings)
          .where(eq(onboardings.id, input.onboardingId));
        const domains = new Set((onboarding?.domains ?? []).map((d) => asciiLower(d)));
        const candidates = await tx
          .select({ sid: users.sid, email: users.email, ssoState: users.ssoState, connectionId: users.connectionId })
          .from(users)
          .where(inArray(sql`lower(${users.email})`, wanted));
        // lower() folds lookalikes (the Kelvin sign onto k); only an ASCII-case-insensitive match counts.
        const matched = candidates.filter((u) => wanted.includes(asciiLower(u.email)));
        const refused: PilotRefusal[] = [];
        const found = matched.filter((u) => {
          const domain = asciiLower(u.email.split('@').pop() ?? '');
          if (!domains.has(domain)) {
            refused.push({ email: u.email, code: 'outside_domains', message: `${u.email} is not in this onboarding's email domains` });
            return false;
          }
          if (u.connectionId !== null && u.connectionId !== input.connectionId) {
            refused.push({ email: u.email, code: 'other_connection', message: `${u.email} signs in through another SSO connection` });
            return false;
          }
          return true;
        });
        for (const user of found) {
          let enabledByPilot = false;
          if (user.ssoState === 'none') {
            const changed = await tx
              .update(users)
              .set({ ssoState: 'enabled', connectionId: input.connectionId, updatedAt: clock.now() })
              .where(and(eq(users.sid, user.sid), eq(users.ssoState, 'none')))
              .returning({ sid: users.sid });
            enabledByPilot = changed.length > 0;
          }
          if (enabledByPilot) {
            await recordAuditEvent(tx, {
              type: 'user.sso_enabled',
              actor: 'onboarding',
              userSid: user.sid,
              connectionId: input.connectionId,
              onboardingId: input.onboardingId,
              detail: { pilot: true },
            });
          }
          // Whether the pilot switched the user on is kept (a cancel with revertTo none switches them off again).
          await tx
            .insert(pilotUsers)
            .values({ onboardingId: input.onboardingId, userSid: user.sid, email: user.email, enabledByPilot })
            .onConflictDoUpdate({
              target: [pilotUsers.onboardingId, pilotUsers.userSid],
              set: { enabledByPilot: sql`${pilotUsers.enabledByPilot} or excluded.enabled_by_pilot` },
            });
        }
        const known = new Set(matched.map((u) => asciiLower(u.email)));
        return {
          users: found.map((u) => ({ sid: u.sid, email: u.email })),
          unknownEmails: wanted.filter((e) => !known.has(e)),
          // In one order whatever order PostgreSQL found them in.
          refused: refused.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0)),
        };
      });
    },

    /** Issues (or re-finds) the step's link and mails it; the token itself never enters workflow history. */
    async requestApproval(input: {
      tokenId: string;
      onboardingId: string;
      customerName: string;
      step: ApprovalStep;
      approverEmail: string;
      subjectVersion: number;
      expiresAt: string;
      reminderNumber: number;
      context: Record<string, unknown>;
    }): Promise<{ tokenId: string; expiresAt: string }> {
      const issued = await issueApproval(db, {
        tokenId: input.tokenId,
        onboardingId: input.onboardingId,
        step: input.step,
        approverEmail: input.approverEmail,
        subjectVersion: input.subjectVersion,
        expiresAt: new Date(input.expiresAt),
        secret: approvalSecret,
        publicBaseUrl: config.publicBaseUrl,
        now: clock.now(),
      });
      const common = {
        customerName: input.customerName,
        step: input.step,
        url: issued.url,
        expiresAt: issued.expiresAt.toISOString(),
        context: input.context,
      };
      const sent = await mailer.send({
        idempotencyKey: `approval:${issued.tokenId}:${input.reminderNumber}`,
        onboardingId: input.onboardingId,
        recipient: input.approverEmail,
        message:
          input.reminderNumber === 0
            ? { kind: 'approval_request', ...common }
            : { kind: 'approval_reminder', ...common, reminderNumber: input.reminderNumber },
      });
      await redactLink(sent.id, issued.url);
      return { tokenId: issued.tokenId, expiresAt: issued.expiresAt.toISOString() };
    },

    async sendEscalation(input: {
      onboardingId: string;
      customerName: string;
      step: ApprovalStep;
      recipient: string;
      waitingSince: string;
      round: number;
    }) {
      await mailer.send({
        idempotencyKey: `escalation:${input.onboardingId}:${input.step}:${input.waitingSince}`,
        onboardingId: input.onboardingId,
        recipient: input.recipient,
        message: { kind: 'approval_escalation', customerName: input.customerName, step: input.step, waitingSince: input.waitingSince },
      });
      await recordAuditEvent(db, { type: 'onboarding.approval_overdue', onboardingId: input.onboardingId, detail: { step: input.step } });
    },

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
      const unverified = await unverifiedDomains(db, input.onboardingId);
      if (unverified.length > 0) {
        const refusal = domainUnverified(unverified);
        throw badInput(refusal.message, refusal.code, unverified);
      }
      const { created, ...summary } = await buildMigrationList(pg, input);
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
      const list = await sendDraftList(pg, input.listId);
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
      if (input.decision === 'approve') {
        const result = await excludeEntries(pg, input.listId, excludes);
        if (result.unknown.length > 0)
          throw badInput(`excluded users are not on the list: ${result.unknown.join(', ')}`, 'unknown_exclusions', result.unknown);
        await setMigrationListStatus(pg, input.listId, 'approved');
        return await getMigrationListSummary(pg, input.listId);
      }
      if (input.nextListId) {
        const revised = await reviseMigrationList(pg, { fromListId: input.listId, listId: input.nextListId, excludes });
        if (!revised.ok)
          throw badInput(`excluded users are not on the list: ${revised.unknown.join(', ')}`, 'unknown_exclusions', revised.unknown);
        await setMigrationListStatus(pg, input.listId, 'rejected', input.reason);
        return revised.list;
      }
      await setMigrationListStatus(pg, input.listId, 'rejected', input.reason);
      return await getMigrationListSummary(pg, input.listId);
    },

    /**
     * Enables or enforces the whole list batch by batch, heartbeating the cursor; a retry resumes from
     * the last heartbeat, and a batch already applied is never applied again. Cancellation stops it
     * after the batch in flight.
     */
    async rolloutUsers(input: {
      action: 'enable' | 'enforce';
      listId: string;
      onboardingId: string;
      connectionId: string;
      batchSize: number;
    }) {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as { cursor: string; processed: number } | undefined;
      let cursor = resumed?.cursor ?? '';
      let processed = resumed?.processed ?? 0;
      for (;;) {
        if (context.cancellationSignal.aborted) throw new CancelledFailure('rollout cancelled after a complete batch');
        const batch = await applyRolloutBatch(pg, { ...input, afterUserSid: cursor });
        if (batch.processed === 0 || !batch.lastUserSid) break;
        cursor = batch.lastUserSid;
        processed += batch.processed;
        heartbeat({ cursor, processed });
      }
      logger.info({ onboardingId: input.onboardingId, action: input.action, processed }, 'rollout finished');
      return { processed };
    },

    async rolloutProgress(input: { listId: string }) {
      return await rolloutProgress(pg, input.listId);
    },

    /** Cancel: batch by batch, heartbeating, what this list enforced goes back; returns how many users changed. */
    async revertEnforcement(input: {
      listId: string;
      onboardingId: string;
      connectionId: string;
      to: 'enabled' | 'none';
      batchSize?: number;
    }) {
      const resumed = Context.current().info.heartbeatDetails as { reverted: number } | undefined;
      let reverted = resumed?.reverted ?? 0;
      for (;;) {
        const batch = await revertEnforcement(pg, { ...input, batchSize: input.batchSize ?? 1000 });
        if (batch.processed === 0) break;
        reverted += batch.reverted;
        heartbeat({ reverted });
      }
      return reverted;
    },

    /** Cancel with revertTo none, after the list's revert: the pilot users this onboarding switched on go back to no SSO. */
    async revertPilotUsers(input: { onboardingId: string; connectionId: string }) {
      return await revertPilotUsers(pg, input);
    },

    /** Heads-up mails to every listed user: queued set-based in the outbox, then delivered with heartbeats. */
    async sendHeadsUp(input: { onboardingId: string; customerName: string; listId: string }) {
      const entries = await pg<{ user_sid: string; email: string }[]>`
        select user_sid, email from migration_list_entries where list_id = ${input.listId} and not excluded order by user_sid`;
      const loginUrl = `${config.publicBaseUrl}/login`;
      let sent = 0;
      for (const entry of entries) {
        await mailer.send({
          idempotencyKey: `heads_up:${input.onboardingId}:${entry.user_sid}`,
          onboardingId: input.onboardingId,
          recipient: entry.email,
          message: { kind: 'sso_heads_up', customerName: input.customerName, loginUrl },
        });
        sent += 1;
        if (sent % 50 === 0) heartbeat({ sent });
      }
      return { sent };
    },

    async finishOnboarding(input: {
      onboardingId: string;
      customerName: string;
      recipient: string;
      summary: { listed: number; excluded: number; enabled: number; enforced: number; reverted: number };
      outcome: 'completed' | 'cancelled';
      /** The enforced list, whose users are not counted as keeping their passwords (absent from older runs). */
      listId?: string;
    }): Promise<{ keepingPasswords?: PasswordKeepers }> {
      await supersedeApprovals(db, input.onboardingId, clock.now());
      await recordAuditEvent(db, { type: `onboarding.${input.outcome}`, onboardingId: input.onboardingId, detail: input.summary });
      if (input.outcome === 'cancelled') {
        const connectionDisabled = await disableConnectionsOfCancelled(db, input.onboardingId, clock.now());
        await mailer.send({
          idempotencyKey: `cancelled:${input.onboardingId}`,
          onboardingId: input.onboardingId,
          recipient: input.recipient,
          message: {
            kind: 'onboarding_cancelled',
            customerName: input.customerName,
            reason: await cancelReasonOf(db, input.onboardingId),
            summary: { reverted: input.summary.reverted, enabled: input.summary.enabled - input.summary.enforced },
            connectionDisabled,
          },
        });
      }
      if (input.outcome === 'completed') {
        const [row] = await db
          .select({ connectionId: onboardings.connectionId })
          .from(onboardings)
          .where(eq(onboardings.id, input.onboardingId));
        const keepers = await passwordKeepers(pg, { connectionId: row?.connectionId ?? null, listId: input.listId ?? null });
        await mailer.send({
          idempotencyKey: `completed:${input.onboardingId}`,
          onboardingId: input.onboardingId,
          recipient: input.recipient,
          message: {
            kind: 'onboarding_completed',
            customerName: input.customerName,
            summary: { enforced: input.summary.enforced, excluded: input.summary.excluded },
            keepingPasswords: keepers,
          },
        });
        return { keepingPasswords: keepers };
      }
      return {};
    },
  };
}

export type OnboardingActivities = ReturnType<typeof createActivities>;
