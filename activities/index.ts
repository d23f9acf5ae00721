import { and, eq, ne } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { onboardings } from '../db/schema.js';
import { recordAuditEvent } from '../domain/audit.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Stage } from '../workflows/shared.js';

export interface ActivityDeps {
  database: Database;
  clock: Clock;
  config: Config;
  logger: Logger;
}

/** The activities object the worker registers; every dependency comes in, so tests build the same graph. */
export function createActivities({ database, clock }: ActivityDeps) {
  const { db } = database;
  return {
    /** Keeps the listing projection current; a retry finds the stage already set and records nothing twice. */
    async recordOnboardingStage(input: { onboardingId: string; stage: Stage }): Promise<void> {
      await db.transaction(async (tx) => {
        const updated = await tx
          .update(onboardings)
          .set({ stage: input.stage, updatedAt: clock.now() })
          .where(and(eq(onboardings.id, input.onboardingId), ne(onboardings.stage, input.stage)))
          .returning({ id: onboardings.id });
        if (updated.length === 0) return;
        await recordAuditEvent(tx, {
          type: 'onboarding.stage',
          onboardingId: input.onboardingId,
          detail: { stage: input.stage },
          at: clock.now(),
        });
      });
    },
  };
}

export type OnboardingActivities = ReturnType<typeof createActivities>;
