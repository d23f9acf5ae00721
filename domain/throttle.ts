import { and, eq, inArray, sql } from 'drizzle-orm';
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

export type Reservation =
  | {
      ok: true;
      /** Gives the slots back: the attempt turned out not to be a failure (the right password, an SSO-only account). */
      release(): Promise<void>;
    }
  | { ok: false; retryAfterSeconds: number };

interface SlotRow {
  key: string;
  failures: number;
  windowStart: Date;
}

// postgres.js takes no Date inside raw SQL fragments; ISO strings with a cast are exact.
const timestamp = (at: Date) => sql`${at.toISOString()}::timestamptz`;

const secondsUntilEnd = (row: SlotRow, now: Date) =>
  Math.max(1, Math.ceil((row.windowStart.getTime() + throttleWindowMs - now.getTime()) / 1000));

/**
 * Takes a slot of every key before an attempt is evaluated, and says whether the attempt may go on.
 * Counting and deciding happen in one statement (`insert … on conflict do update … returning`): the row
 * lock makes concurrent attempts take consecutive counts, so 30 guesses fired at once are not all judged
 * against a count that none of them has raised yet. A refused attempt gives its slots straight back, so
 * a count is the failures evaluated in the window plus the attempts still being evaluated, never more
 * than the limit; an attempt that fails keeps its slot.
 */
export async function reserveAttempt(db: Db, keys: ThrottleKey[], now: Date): Promise<Reservation> {
  if (keys.length === 0) return { ok: true, release: async () => {} };
  const windowFloor = timestamp(new Date(now.getTime() - throttleWindowMs));
  const nowSql = timestamp(now);
  // Sorted, so two statements sharing keys lock them in the same order and cannot deadlock.
  const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : 1));
  const rows: SlotRow[] = await db
    .insert(loginThrottle)
    .values(sorted.map((k) => ({ key: k.key, windowStart: now, failures: 1 })))
    .onConflictDoUpdate({
      target: loginThrottle.key,
      set: {
        failures: sql`case when ${loginThrottle.windowStart} <= ${windowFloor} then 1 else ${loginThrottle.failures} + 1 end`,
        windowStart: sql`case when ${loginThrottle.windowStart} <= ${windowFloor} then ${nowSql} else ${loginThrottle.windowStart} end`,
      },
    })
    .returning({ key: loginThrottle.key, failures: loginThrottle.failures, windowStart: loginThrottle.windowStart });
  const release = () => releaseSlots(db, rows);
  const over = rows.filter((row) => row.failures > (keys.find((k) => k.key === row.key)?.limit ?? 0));
  if (over.length === 0) return { ok: true, release };
  await release();
  return { ok: false, retryAfterSeconds: Math.max(...over.map((row) => secondsUntilEnd(row, now))) };
}

/** A slot is given back to the window it was taken from; one that has ended since is left alone. */
async function releaseSlots(db: Db, rows: SlotRow[]): Promise<void> {
  for (const row of rows) {
    await db
      .update(loginThrottle)
      .set({ failures: sql`greatest(${loginThrottle.failures} - 1, 0)` })
      .where(and(eq(loginThrottle.key, row.key), eq(loginThrottle.windowStart, row.windowStart)));
  }
}

/**
 * Seconds until the window of the first key that has used up its failures ends; undefined while all may
 * try. Only for attempts that cannot be guesses (the right support token still turned away while its
 * address is locked out); a guess must take a slot with `reserveAttempt`.
 */
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
    if (row.failures >= limit && row.windowStart.getTime() + throttleWindowMs > now.getTime()) return secondsUntilEnd(row, now);
  }
  return undefined;
}
