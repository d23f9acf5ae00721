import { randomBytes } from 'node:crypto';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { onboardings } from '../db/schema.js';
import { AppError, notFound } from '../lib/errors.js';
import {
  cancelOnboarding,
  customerIdKey,
  getOnboardingState,
  type OnboardingInput,
  type OnboardingOptions,
  type OnboardingState,
  onboardingStageKey,
  onboardingWorkflowType,
  workflowIdFor,
} from '../workflows/shared.js';
import { recordAuditEvent } from './audit.js';

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
    emailDomains: [...new Set(input.emailDomains)],
    options: input.options,
  };
  await db.transaction(async (tx) => {
    await tx.insert(onboardings).values({
      id,
      workflowId,
      customerName: input.customerName,
      adminEmail: input.adminEmail,
      emailDomains: workflowInput.emailDomains,
      options: input.options,
    });
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
    adminEmail: row.adminEmail,
    emailDomains: row.emailDomains,
    stage: row.stage,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }));
}

async function findOnboarding(db: Db, id: string) {
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

/** The database row for what is listed, the workflow's own state for where it is. */
export async function getOnboarding(db: Db, client: Client, id: string) {
  const row = await findOnboarding(db, id);
  const state = await queryState(client, row.workflowId);
  return {
    id: row.id,
    customerName: row.customerName,
    adminEmail: row.adminEmail,
    emailDomains: row.emailDomains,
    stage: state?.stage ?? row.stage,
    problems: state?.problems ?? [],
    connection: null,
    pilot: { users: [], customerConfirmed: false, supportConfirmed: false },
    migration: null,
    progress: { enabled: 0, enforced: 0, total: 0 },
    pendingApprovals: [],
    events: state?.events ?? [],
  };
}

/** An Update's validator refusal becomes a 409 naming why; it never reaches the workflow's history. */
export function updateRefusal(error: unknown): AppError | undefined {
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) return new AppError(cause.type ?? 'action_refused', 409, cause.message);
  return new AppError('action_refused', 409, cause?.message ?? error.message);
}

export async function cancelOnboardingById(db: Db, client: Client, id: string, reason: string) {
  const row = await findOnboarding(db, id);
  const handle = client.workflow.getHandle(row.workflowId);
  const { status } = await handle.describe();
  if (status.name !== 'RUNNING') throw new AppError('wrong_stage', 409, `onboarding is already ${row.stage}`);
  try {
    const state = await handle.executeUpdate(cancelOnboarding, { args: [{ reason, actor: 'support' }] });
    return { id, stage: state.stage, cancelReason: state.cancelReason };
  } catch (error) {
    throw updateRefusal(error) ?? error;
  }
}
