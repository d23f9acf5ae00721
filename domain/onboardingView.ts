import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { ConnectionView } from '../contract/onboarding.js';
import type { Database, Db } from '../db/client.js';
import { pilotUsers, ssoConnections } from '../db/schema.js';
import { pendingApprovals } from './approvals.js';
import { certificateProblems, certificateWarningMs } from './certificateStatus.js';
import { spEndpoints } from './connections.js';
import { domainStatuses } from './domainClaims.js';
import { queryOnboardingState } from './onboardingCommands.js';
import { timelineProblems } from './onboardingProblems.js';
import { findOnboarding } from './onboardings.js';
import { rolloutProgress } from './rollout.js';
import { currentSetupLink } from './setupLinks.js';

async function connectionStatus(db: Db, connection: { id: string; status: string }): Promise<string> {
  const [row] = await db.select({ status: ssoConnections.status }).from(ssoConnections).where(eq(ssoConnections.id, connection.id));
  return row?.status ?? connection.status;
}

/**
 * The onboarding's connection: the workflow's view once intake saved it, else the one made at the start
 * (SP side only, `pending`), so the SP details are there before the customer has an IdP application.
 * Onboardings started before connections were made at the start have none until intake.
 */
async function connectionOf(db: Db, onboardingId: string, fromWorkflow: ConnectionView | null | undefined, publicBaseUrl: string) {
  if (fromWorkflow) return { ...fromWorkflow, status: await connectionStatus(db, fromWorkflow) };
  const [row] = await db.select({ id: ssoConnections.id }).from(ssoConnections).where(eq(ssoConnections.onboardingId, onboardingId));
  if (!row) return null;
  const sp = spEndpoints(publicBaseUrl, row.id);
  return { id: row.id, spEntityId: sp.entityId, acsUrl: sp.acsUrl, metadataUrl: sp.metadataUrl, status: 'pending' };
}

/** The workflow's own state for where it is, PostgreSQL for listing data, links and progress. */
export async function getOnboarding(
  database: Database,
  client: Client,
  id: string,
  links: { secret: string; publicBaseUrl: string; now: Date },
) {
  const { db, sql } = database;
  const row = await findOnboarding(db, id);
  const state = await queryOnboardingState(client, row.workflowId);
  const migration = state?.migration ?? null;
  const pilotLogins = new Map(
    (await db.select().from(pilotUsers).where(eq(pilotUsers.onboardingId, id))).map((p) => [
      p.userSid,
      p.firstLoginAt?.toISOString() ?? null,
    ]),
  );
  const progress = migration ? await rolloutProgress(sql, migration.listId) : { total: 0, enabled: 0, enforced: 0, excluded: 0 };
  return {
    id: row.id,
    customerName: row.customerName,
    customerId: row.customerId,
    adminEmail: row.adminEmail,
    emailDomains: row.emailDomains,
    stage: state?.stage ?? row.stage,
    problems: [
      ...(state?.problems ?? []),
      ...timelineProblems(state),
      // The connection's certificates live on after the workflow: PostgreSQL's, in every stage.
      ...((await certificateProblems(sql, [id], { now: links.now, warnWithinMs: certificateWarningMs })).get(id) ?? []),
    ],
    // The workflow saw the connection when it saved it; its status since (verified domains make a draft
    // active, support may disable it) is PostgreSQL's.
    connection: await connectionOf(db, id, state?.connection, links.publicBaseUrl),
    setupUrl: (await currentSetupLink(db, id, links))?.url ?? null,
    domains: await domainStatuses(db, links.secret, id),
    pilot: state
      ? {
          // First logins are recorded in PostgreSQL before the workflow is signalled, so they show even if a signal was lost.
          users: state.pilot.users.map((u) => ({ ...u, firstLoginAt: u.firstLoginAt ?? pilotLogins.get(u.sid) ?? null })),
          unknownEmails: state.pilot.unknownEmails,
          refused: state.pilot.refused ?? [],
          customerConfirmed: state.pilot.customerConfirmed,
          supportConfirmed: state.pilot.supportConfirmed,
        }
      : { users: [], unknownEmails: [], refused: [], customerConfirmed: false, supportConfirmed: false },
    migration,
    draft: state?.draft ?? null,
    progress: { enabled: progress.enabled, enforced: progress.enforced, total: progress.total },
    pendingApprovals: (await pendingApprovals(db, id, links.secret, links.publicBaseUrl, links.now)).map(({ step, url, expiresAt }) => ({
      step,
      url,
      expiresAt,
    })),
    events: state?.events ?? [],
    summary: state?.summary ?? null,
    cancelReason: state?.cancelReason ?? null,
  };
}
