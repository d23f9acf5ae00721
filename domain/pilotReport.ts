import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { pilotUsers } from '../db/schema.js';

export interface PilotUserReport {
  userSid: string;
  email: string;
  nominatedAt: Date;
  firstLoginAt: Date | null;
}

/** The pilot users of an onboarding and whether each has signed in through SSO, from PostgreSQL (no Temporal needed). */
export async function pilotUsersOf(db: Db, onboardingId: string): Promise<PilotUserReport[]> {
  return await db
    .select({
      userSid: pilotUsers.userSid,
      email: pilotUsers.email,
      nominatedAt: pilotUsers.nominatedAt,
      firstLoginAt: pilotUsers.firstLoginAt,
    })
    .from(pilotUsers)
    .where(eq(pilotUsers.onboardingId, onboardingId))
    .orderBy(asc(pilotUsers.email));
}
