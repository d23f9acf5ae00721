import { randomBytes } from 'node:crypto';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { and, desc, eq, ne } from 'drizzle-orm';
import {
  buildMigrationList,
  cancelOnboarding,
  confirmPilot,
  customerIdKey,
  customerNameKey,
  getOnboardingState,
  type IdpConfigSubmission,
  type MigrationRequest,
  nominatePilotUsers,
  type OnboardingInput,
  type OnboardingOptions,
  type OnboardingState,
  onboardingStageKey,
  onboardingWorkflowType,
  type Problem,
  pilotUserLoggedIn,
  type Stage,
  sendMigrationList,
  submitIdpConfig,
  workflowIdFor,
} from '../contract/onboarding.js';
import type { Database, Db } from '../db/client.js';
import { auditEvents, onboardings, pilotUsers, ssoConnections } from '../db/schema.js';
import { AppError, notFound } from '../lib/errors.js';
import { pendingApprovals } from './approvals.js';
import { recordAuditEvent } from './audit.js';
import { claimDomainsForOnboarding, domainStatuses } from './domainClaims.js';
import { rolloutProgress } from './migrationLists.js';

export const newOnboardingId = () => `ob_${randomBytes(12).toString('hex')}`;

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'customer';

export interface StartOnboardingInput {
  customerName: string;
  customerId?: string;
  adminEmail: string;
  emailDomains: string[];
  options: OnboardingOptions;
}

/**
 * Writes the listing row and starts the workflow in one transaction: if Temporal refuses, the row is
 * rolled back, so there is never a listed onboarding without its workflow.
 */
export async function startOnboarding(db: Db, client: Client, taskQueue: string, input: StartOnboardingInput) {
  const id = newOnboardingId();
  const workflowId = workflowIdFor(id);
  const workflowInput: OnboardingInput = {
    onboardingId: id,
    customerId: input.customerId ?? slug(input.customerName),
    customerName: input.customerName,
    adminEmail: input.adminEmail,
    emailDomains: [...new Set(input.emailDomains.map((d) => d.toLowerCase()))],
    options: input.options,
  };
  await db.transaction(async (tx) => {
    await tx.insert(onboardings).values({
      id,
      workflowId,
      customerName: input.customerName,
      customerId: workflowInput.customerId,
      adminEmail: input.adminEmail,
      emailDomains: workflowInput.emailDomains,
      options: input.options,
    });
    // A domain another onboarding holds refuses the start (409 domain_taken); nothing is written then.
    await claimDomainsForOnboarding(tx, id, workflowInput.emailDomains);
    await recordAuditEvent(tx, {
      type: 'onboarding.started',
      actor: 'support',
      onboardingId: id,
      detail: { customerName: input.customerName },
    });
    await client.workflow.start(onboardingWorkflowType, {
      workflowId,
      taskQueue,
      args: [workflowInput],
      typedSearchAttributes: [
        { key: customerIdKey, value: workflowInput.customerId },
        { key: customerNameKey, value: input.customerName },
        { key: onboardingStageKey, value: 'config_intake' },
      ],
      memo: { customerName: input.customerName, adminEmail: input.adminEmail },
    });
  });
  return { id, stage: 'config_intake' as const };
}

export async function listOnboardings(db: Db) {
  const rows = await db.select().from(onboardings).orderBy(desc(onboardings.createdAt)).limit(500);
  return rows.map((row) => ({
    id: row.id,
    customerName: row.customerName,
    customerId: row.customerId,
    adminEmail: row.adminEmail,
    emailDomains: row.emailDomains,
    stage: row.stage,
    connectionId: row.connectionId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }));
}

export async function findOnboarding(db: Db, id: string) {
  const [row] = await db.select().from(onboardings).where(eq(onboardings.id, id));
  if (!row) throw notFound(`onboarding ${id}`);
  return row;
}

async function queryState(client: Client, workflowId: string): Promise<OnboardingState | null> {
  try {
    return await client.workflow.getHandle(workflowId).query(getOnboardingState);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

async function connectionStatus(db: Db, connection: { id: string; status: string }): Promise<string> {
  const [row] = await db.select({ status: ssoConnections.status }).from(ssoConnections).where(eq(ssoConnections.id, connection.id));
  return row?.status ?? connection.status;
}

/** Every problem of an IdP configuration in one 422, as the contract says. */
export function invalidIdpConfig(problems: Problem[]): AppError {
  return new AppError(
    'invalid_idp_config',
    422,
    `the IdP configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => p.message).join('; ')}`,
    problems,
  );
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
  const state = await queryState(client, row.workflowId);
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
    problems: state?.problems ?? [],
    // The workflow saw the connection when it saved it; its status since (verified domains make a draft
    // active, support may disable it) is PostgreSQL's.
    connection: state?.connection ? { ...state.connection, status: await connectionStatus(db, state.connection) } : null,
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

const refusalStatus: Record<string, number> = {
  invalid_request: 400,
  unknown_exclusions: 422,
  domain_not_in_onboarding: 422,
  domain_unverified: 409,
  empty_list: 422,
};

/**
 * An Update's validator refusal becomes a 4xx naming why (it never reaches the workflow's history), and
 * so does an activity's non-retryable refusal of bad input; anything else is a fault and stays a 5xx.
 */
export function updateRefusal(error: unknown): AppError | undefined {
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure)
    return new AppError(cause.type ?? 'action_refused', refusalStatus[cause.type ?? ''] ?? 409, cause.message);
  if (cause instanceof ActivityFailure && cause.cause instanceof ApplicationFailure && cause.cause.nonRetryable) {
    return new AppError(cause.cause.type ?? 'invalid_request', refusalStatus[cause.cause.type ?? ''] ?? 422, cause.cause.message);
  }
  return undefined;
}

/** Runs one support action as an Update on the onboarding's workflow, refusing it cleanly when it has ended. */
async function runUpdate<T>(
  db: Db,
  client: Client,
  id: string,
  run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>,
): Promise<T> {
  const row = await findOnboarding(db, id);
  const handle = client.workflow.getHandle(row.workflowId);
  const { status } = await handle.describe();
  if (status.name !== 'RUNNING') throw new AppError('wrong_stage', 409, `onboarding is already ${row.stage}`);
  try {
    return await run(handle);
  } catch (error) {
    const refusal = updateRefusal(error);
    if (refusal) throw refusal;
    // It closed between the check above and the Update's arrival.
    const now = await handle.describe().catch(() => undefined);
    if (now && now.status.name !== 'RUNNING')
      throw new AppError('wrong_stage', 409, `onboarding is already ${(await findOnboarding(db, id)).stage}`);
    throw error;
  }
}

export async function submitIdpConfigFor(db: Db, client: Client, id: string, submission: IdpConfigSubmission) {
  const result = await runUpdate(db, client, id, (h) => h.executeUpdate(submitIdpConfig, { args: [submission] }));
  if (!result.ok) throw invalidIdpConfig(result.problems);
  return { connection: result.connection, warnings: result.warnings };
}

export async function nominatePilotUsersFor(db: Db, client: Client, id: string, emails: string[]) {
  return await runUpdate(db, client, id, (h) => h.executeUpdate(nominatePilotUsers, { args: [{ emails }] }));
}

export async function confirmPilotFor(db: Db, client: Client, id: string) {
  return await runUpdate(db, client, id, (h) => h.executeUpdate(confirmPilot, { args: [] }));
}

export async function buildMigrationListFor(db: Db, client: Client, id: string, request: MigrationRequest) {
  return await runUpdate(db, client, id, (h) => h.executeUpdate(buildMigrationList, { args: [request] }));
}

export async function sendMigrationListFor(db: Db, client: Client, id: string, listId: string) {
  return await runUpdate(db, client, id, (h) => h.executeUpdate(sendMigrationList, { args: [{ listId }] }));
}

/** The onboarding's stage in PostgreSQL, audited once per change (a repeat changes and records nothing). */
export async function recordStage(
  db: Db,
  input: { onboardingId: string; stage: Stage; connectionId?: string | null; at: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    const updated = await tx
      .update(onboardings)
      .set({ stage: input.stage, updatedAt: input.at, ...(input.connectionId ? { connectionId: input.connectionId } : {}) })
      .where(and(eq(onboardings.id, input.onboardingId), ne(onboardings.stage, input.stage)))
      .returning({ id: onboardings.id });
    if (updated.length === 0) return;
    await recordAuditEvent(tx, {
      type: 'onboarding.stage',
      onboardingId: input.onboardingId,
      detail: { stage: input.stage },
      at: input.at,
    });
  });
}

/** The connection the onboarding saved is the one its listing shows. */
export async function attachConnection(db: Db, onboardingId: string, connectionId: string): Promise<void> {
  await db.update(onboardings).set({ connectionId }).where(eq(onboardings.id, onboardingId));
}

export async function connectionOfOnboarding(db: Db, onboardingId: string): Promise<string | null> {
  const [row] = await db.select({ connectionId: onboardings.connectionId }).from(onboardings).where(eq(onboardings.id, onboardingId));
  return row?.connectionId ?? null;
}

/** The reason support gave for cancelling, as the cancel request recorded it (for the customer's mail). */
export async function cancelReasonOf(db: Db, onboardingId: string): Promise<string | null> {
  const [row] = await db
    .select({ detail: auditEvents.detail })
    .from(auditEvents)
    .where(and(eq(auditEvents.onboardingId, onboardingId), eq(auditEvents.type, 'onboarding.cancel_requested')))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  const reason = (row?.detail as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : null;
}

export async function cancelOnboardingById(db: Db, client: Client, id: string, reason: string, revertTo?: 'enabled' | 'none' | 'keep') {
  await findOnboarding(db, id);
  await recordAuditEvent(db, {
    type: 'onboarding.cancel_requested',
    actor: 'support',
    onboardingId: id,
    detail: { reason, revertTo: revertTo ?? 'enabled' },
  });
  const state = await runUpdate(db, client, id, (h) =>
    h.executeUpdate(cancelOnboarding, { args: [{ reason, actor: 'support', revertTo }] }),
  );
  // The workflow records the stage in an activity just after it answers; written here too, so whoever
  // the answer reaches already finds the onboarding cancelled in PostgreSQL (its domains free to claim).
  if (state.stage === 'cancelled') await recordStage(db, { onboardingId: id, stage: 'cancelled', at: new Date() });
  return { id, stage: state.stage, cancelReason: state.cancelReason, summary: state.summary };
}

/**
 * Tells each onboarding whose pilot user this is that the user has signed in through SSO. The ACS
 * marks the first login in the statement that records the login and calls this only for the
 * onboardings that statement returned, without waiting (logins never depend on Temporal).
 */
export async function signalPilotLogin(
  client: () => Promise<Client>,
  onboardingIds: readonly string[],
  userSid: string,
  at: Date,
): Promise<void> {
  const temporal = await client();
  for (const onboardingId of onboardingIds) {
    await temporal.workflow.getHandle(workflowIdFor(onboardingId)).signal(pilotUserLoggedIn, { userSid, at: at.toISOString() });
  }
}
