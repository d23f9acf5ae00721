import { lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { consumedAssertions, samlRequests, sessions } from '../db/schema.js';

/**
 * Deletes what can no longer matter: answered-or-expired AuthnRequest IDs, replay records past the
 * moment their assertion could be accepted, and sessions a day after they ended or expired. Safe from
 * any instance.
 */
export async function purgeExpired(db: Db, now: Date) {
  const requests = await db.delete(samlRequests).where(lt(samlRequests.expiresAt, now)).returning({ id: samlRequests.id });
  const assertions = await db
    .delete(consumedAssertions)
    .where(lt(consumedAssertions.expiresAt, now))
    .returning({ id: consumedAssertions.assertionId });
  // Sessions stay a day after they end, for investigating a report.
  const dayAgo = new Date(now.getTime() - 24 * 60 * 60_000);
  const ended = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, dayAgo), lt(sessions.endedAt, dayAgo)))
    .returning({ id: sessions.tokenHash });
  return { requests: requests.length, assertions: assertions.length, sessions: ended.length };
}
