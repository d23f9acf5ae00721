import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { loginThrottle } from '../db/schema.js';

/**
 * Failed sign-in attempts counted per key (`email:…`, `ip:…`, `support-ip:…`) in fixed 15-minute
 * windows, in PostgreSQL so every API instance counts together.
 */
export const throttleWindowMs = 15 * 60_000;

export interface ThrottleKey {
  key: string;
  /** Failures allowed in one window. */
  limit: number;
}

/** Seconds until the window of the first key that has used up its failures ends; undefined while all may try. */
export async function throttledFor(db: Db, keys: ThrottleKey[], now: Date): Promise<number | undefined> {
  const rows = await db
    .select()
    .from(loginThrottle)
    .where(
      inArray(
        loginThrottle.key,
        keys.map((k) => k.key),
      ),
    );
  for (const row of rows) {
    const limit = keys.find((k) => k.key === row.key)?.limit ?? 0;
    const windowEnds = row.windowStart.getTime() + throttleWindowMs;
    if (row.failures >= limit && windowEnds > now.getTime()) return Math.ceil((windowEnds - now.getTime()) / 1000);
  }
  return undefined;
}

/** Counts one failure against each key, starting a new window where the last one has ended. */
export async function recordFailure(db: Db, keys: string[], now: Date): Promise<void> {
  // postgres.js takes no Date inside raw SQL fragments; ISO strings with a cast are exact.
  const windowFloor = sql`${new Date(now.getTime() - throttleWindowMs).toISOString()}::timestamptz`;
  const nowSql = sql`${now.toISOString()}::timestamptz`;
  for (const key of keys) {
    await db
      .insert(loginThrottle)
      .values({ key, windowStart: now, failures: 1 })
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: {
          failures: sql`case when ${loginThrottle.windowStart} < ${windowFloor} then 1 else ${loginThrottle.failures} + 1 end`,
          windowStart: sql`case when ${loginThrottle.windowStart} < ${windowFloor} then ${nowSql} else ${loginThrottle.windowStart} end`,
        },
      });
  }
}
