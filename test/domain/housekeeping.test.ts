import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { consumedAssertions, samlRequests, sessions } from '../../db/schema.js';
import { createUser } from '../../domain/directory.js';
import { purgeExpired } from '../../domain/housekeeping.js';
import { createSession } from '../../domain/sessions.js';
import { testDatabase } from '../support/deps.js';

const database = testDatabase();
afterAll(() => database.close());

describe('housekeeping', () => {
  it('deletes expired request IDs, replay records and sessions expired a day ago, and keeps live ones', async () => {
    const now = new Date();
    const past = new Date(now.getTime() - 60_000);
    const future = new Date(now.getTime() + 60_000);
    const tag = randomBytes(4).toString('hex');
    await database.db.insert(samlRequests).values([
      { id: `_old_${tag}`, connectionId: 'c', expiresAt: past },
      { id: `_new_${tag}`, connectionId: 'c', expiresAt: future },
    ]);
    await database.db.insert(consumedAssertions).values([
      { connectionId: 'c', assertionId: `_old_${tag}`, expiresAt: past },
      { connectionId: 'c', assertionId: `_new_${tag}`, expiresAt: future },
    ]);
    const user = await createUser(database.db, { email: `house.${tag}@example.test` });
    const live = await createSession(database.db, { userSid: user.sid, authMethod: 'password', connectionId: null, now });
    await createSession(database.db, {
      userSid: user.sid,
      authMethod: 'password',
      connectionId: null,
      now: new Date(now.getTime() - 3 * 24 * 3600_000),
    });

    const purged = await purgeExpired(database.db, now);
    expect(purged.requests).toBeGreaterThanOrEqual(1);
    expect(purged.assertions).toBeGreaterThanOrEqual(1);
    expect(purged.sessions).toBeGreaterThanOrEqual(1);
    expect(
      (
        await database.db
          .select()
          .from(samlRequests)
          .where(eq(samlRequests.id, `_new_${tag}`))
      ).length,
    ).toBe(1);
    expect(
      (
        await database.db
          .select()
          .from(samlRequests)
          .where(eq(samlRequests.id, `_old_${tag}`))
      ).length,
    ).toBe(0);
    expect(
      (
        await database.db
          .select()
          .from(consumedAssertions)
          .where(eq(consumedAssertions.assertionId, `_new_${tag}`))
      ).length,
    ).toBe(1);
    const left = await database.db.select().from(sessions).where(eq(sessions.userSid, user.sid));
    expect(left).toHaveLength(1);
    expect(left[0]?.expiresAt.getTime()).toBe(live.expiresAt.getTime());
  });
});
