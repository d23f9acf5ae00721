// The pool's reconnect delay is bounded: a request that draws a connection which closed with an error waits
// at most about a second for it to reopen, however many errors came before (postgres.js alone grows to 20 s).
import { describe, expect, it } from 'vitest';
import { createDatabase, reconnectBackoffSeconds } from '../../db/client.js';

describe('the database pool', () => {
  it('reconnects within a second however many connections failed before', () => {
    const delays = Array.from({ length: 40 }, (_, retries) => reconnectBackoffSeconds(retries));
    expect(Math.max(...delays)).toBeLessThanOrEqual(1);
    expect(reconnectBackoffSeconds(0)).toBeLessThanOrEqual(0.05);
  });

  it('gives postgres.js that bound', async () => {
    const database = createDatabase('postgres://nobody@127.0.0.1:1/none');
    const backoff = (database.sql.options as unknown as { backoff: (retries: number) => number }).backoff;
    // postgres.js's own default would wait 10–20 s after 10 failures.
    expect(backoff(10)).toBeLessThanOrEqual(1);
    await database.close();
  });
});
