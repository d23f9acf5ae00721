// The API's one way into Temporal: starting an onboarding, every Update (support's actions and the
// customer's approval decisions), the pilot signal, the queries, and the mapping of a workflow's
// refusal to a 4xx. Routes call these; none holds a workflow handle itself.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import {
  type ApprovalDecision,
  type ApprovalStep,
  activityRefusalStatus,
  buildMigrationList,
  type CancelRequest,
  cancelOnboarding,
  confirmPilot,
  customerIdKey,
  customerNameKey,
  getOnboardingState,
  type IdpConfigSubmission,
  type MigrationRequest,
  mintId,
  nominatePilotUsers,
  type OnboardingInput,
  type OnboardingOptions,
  type OnboardingState,
  type OnboardingWorkflow,
  onboardingStageKey,
  onboardingWorkflowType,
  type Problem,
  pilotUserLoggedIn,
  type RevertTarget,
  recordApproval,
  removePilotUsers,
  resendApprovalLink,
  type Stage,
  sendMigrationList,
  submitIdpConfig,
  type UpdateRefusalCode,
  updateRefusals,
  workflowIdFor,
} from '../contract/onboarding.js';
import type { Db } from '../db/client.js';
import { onboardings, ssoConnections } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { recordAuditEvent } from './audit.js';
import { newConnectionId, spEndpoints } from './connections.js';
import { claimDomainsForOnboarding } from './domainClaims.js';
import { findOnboarding, invalidIdpConfig, recordStage } from './onboardings.js';
import { issueSetupLink } from './setupLinks.js';

export const newOnboardingId = () => mintId('onboarding', randomBytes(12).toString('hex'));

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

/** What the setup link and the SP endpoints need: the link secret, the public base URL, the time. */
export interface StartContext {
  secret: string;
  publicBaseUrl: string;
  now: Date;
}

/**
 * Writes the listing row, the connection (SP side only, `pending` until the IdP side comes, so the
 * customer can create the application in their IdP first: issue #14), the setup link, and starts the
 * workflow, in one transaction: if Temporal refuses, all of it is rolled back, so there is never a listed
 * onboarding without its workflow.
 */
export async function startOnboarding(db: Db, client: Client, taskQueue: string, input: StartOnboardingInput, context: StartContext) {
  const id = newOnboardingId();
  const connectionId = newConnectionId();
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
    // The IdP side stays null until intake (upsertConnection fills this row, keeping its ID and so its SP endpoints).
    await tx.insert(ssoConnections).values({
      id: connectionId,
      onboardingId: id,
      customerName: input.customerName,
      ssoBinding: 'redirect',
      emailDomains: workflowInput.emailDomains,
      status: 'draft',
    });
    await issueSetupLink(tx, {
      onboardingId: id,
      connectionId,
      secret: context.secret,
      publicBaseUrl: context.publicBaseUrl,
      now: context.now,
    });
    await recordAuditEvent(tx, {
      type: 'onboarding.started',
      actor: 'support',
      onboardingId: id,
      detail: { customerName: input.customerName },
    });
    // By type name (the API never loads workflow code), checked against the workflow's signature.
    await client.workflow.start<OnboardingWorkflow>(onboardingWorkflowType, {
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
  const sp = spEndpoints(context.publicBaseUrl, connectionId);
  return {
    id,
    stage: 'config_intake' as const,
    connection: { id: connectionId, spEntityId: sp.entityId, acsUrl: sp.acsUrl, metadataUrl: sp.metadataUrl, status: 'pending' as const },
  };
}

/** The workflow's state, or null when its run is gone (retention) or was never started. */
export async function queryOnboardingState(client: Client, workflowId: string): Promise<OnboardingState | null> {
  try {
    return await client.workflow.getHandle(workflowId).query(getOnboardingState);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** The status of a workflow's refusal by its code (contract/updateRefusals.ts); an uncatalogued code is a 409. */
const refusalStatus = (code: string | null | undefined): number =>
  typeof code === 'string' && Object.hasOwn(updateRefusals, code) ? updateRefusals[code as UpdateRefusalCode].status : 409;

/**
 * An Update's validator refusal becomes a 4xx naming why (it never reaches the workflow's history), and
 * so does an activity's non-retryable refusal of bad input; anything else is a fault and stays a 5xx.
 */
export function updateRefusal(error: unknown): AppError | undefined {
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) return new AppError(cause.type ?? 'action_refused', refusalStatus(cause.type), cause.message);
  if (cause instanceof ActivityFailure && cause.cause instanceof ApplicationFailure && cause.cause.nonRetryable) {
    const { type, message } = cause.cause;
    const code = type ?? 'invalid_request';
    return new AppError(code, activityRefusalStatus[code] ?? 422, message);
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

export async function removePilotUsersFor(db: Db, client: Client, id: string, userSids: string[], reason: string) {
  return await runUpdate(db, client, id, (h) => h.executeUpdate(removePilotUsers, { args: [{ userSids, reason }] }));
}

/** Mails the step's pending link to the customer administrator again (as a reminder); audited as support's. */
export async function resendApprovalLinkFor(db: Db, client: Client, id: string, step: ApprovalStep, reason: string) {
  const result = await runUpdate(db, client, id, (h) => h.executeUpdate(resendApprovalLink, { args: [{ step }] }));
  await recordAuditEvent(db, { type: 'onboarding.approval_link_resent', actor: 'support', onboardingId: id, detail: { step, reason } });
  return result;
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

export async function cancelOnboardingFor(db: Db, client: Client, id: string, reason: string, revertTo?: RevertTarget) {
  await findOnboarding(db, id);
  await recordAuditEvent(db, {
    type: 'onboarding.cancel_requested',
    actor: 'support',
    onboardingId: id,
    detail: { reason, revertTo: revertTo ?? 'enabled' },
  });
  const request: CancelRequest = { reason, actor: 'support', revertTo };
  const state = await runUpdate(db, client, id, (h) => h.executeUpdate(cancelOnboarding, { args: [request] }));
  // The workflow records the stage in an activity just after it answers; written here too, so whoever
  // the answer reaches already finds the onboarding cancelled in PostgreSQL (its domains free to claim).
  if (state.stage === 'cancelled') await recordStage(db, { onboardingId: id, stage: 'cancelled', at: new Date() });
  return { id, stage: state.stage, cancelReason: state.cancelReason, summary: state.summary };
}

/** Why the workflow would not take a customer's decision, when it refused it (the link is then stale). */
export type DecisionOutcome = { recorded: true } | { recorded: false; refusal: AppError };

/**
 * Sends a customer administrator's decision to the workflow waiting for it. A refusal (the step is no
 * longer waiting for this link) is an answer; a fault (Temporal unreachable) is thrown.
 */
export async function sendApprovalDecision(client: Client, onboardingId: string, decision: ApprovalDecision): Promise<DecisionOutcome> {
  try {
    await client.workflow.getHandle(workflowIdFor(onboardingId)).executeUpdate(recordApproval, { args: [decision] });
    return { recorded: true };
  } catch (error) {
    const refusal = updateRefusal(error);
    if (refusal) return { recorded: false, refusal };
    throw error;
  }
}

const finished: Stage[] = ['completed', 'cancelled'];

/** Each running onboarding's current problems; `undefined` where the workflow did not answer in time. */
export async function liveProblems(client: Client, onboardings: { id: string; stage: Stage }[], timeoutMs = 2_000) {
  const problems = new Map<string, Problem[] | undefined>();
  await Promise.all(
    onboardings.map(async ({ id, stage }) => {
      if (finished.includes(stage)) return problems.set(id, []);
      const deadline = delay(timeoutMs, undefined, { ref: false });
      // The gRPC deadline too, so a query nobody answers stops retrying once the page has given up on it
      // (a retry left behind used to outlive the connection and throw when it fired).
      const state = client
        .withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowIdFor(id)).query(getOnboardingState))
        .catch(() => undefined);
      problems.set(id, (await Promise.race([state, deadline]))?.problems);
    }),
  );
  return problems;
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
