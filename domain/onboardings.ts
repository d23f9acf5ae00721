// The onboardings as PostgreSQL lists them: the listing row, its stage projection and its connection.
// Everything that talks to the workflow is in onboardingCommands.ts.
import { and, desc, eq, ne } from 'drizzle-orm';
import type { Problem, Stage } from '../contract/onboarding.js';
import type { Db } from '../db/client.js';
import { auditEvents, onboardings } from '../db/schema.js';
import { AppError, notFound } from '../lib/errors.js';
import { recordAuditEvent } from './audit.js';

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

/** Every problem of an IdP configuration in one 422, as the contract says. */
export function invalidIdpConfig(problems: Problem[]): AppError {
  return new AppError(
    'invalid_idp_config',
    422,
    `the IdP configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => p.message).join('; ')}`,
    problems,
  );
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
