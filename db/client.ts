import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.js';

/** drizzle over postgres.js; `$client` is the driver itself, for prepared hot-path statements. */
export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

export interface Database {
  db: Db;
  /** The raw driver, for set-based SQL that the query builder cannot express. */
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  max?: number;
  /** Application name shown in pg_stat_activity, so operators can tell API from worker. */
  applicationName?: string;
}

/**
 * Seconds to wait before reopening a connection that closed with an error, by how many such closes the pool
 * has seen since it last connected. postgres.js's default grows to 20 s, and a request that drew that
 * connection waits out the whole delay: under repeated terminations (a failover, a proxy restarting) one
 * request hung past its client's patience. Capped at 1 s, with jitter so reconnects do not arrive together.
 */
export function reconnectBackoffSeconds(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2);
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    // A dead connection (server restarted, backend terminated) is dropped and replaced on next use.
    idle_timeout: 30,
    connect_timeout: 10,
    backoff: reconnectBackoffSeconds,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'sso-onboarding' },
  });
  return {
    db: drizzle(client, { schema }),
    sql: client,
    close: () => client.end({ timeout: 5 }),
  };
}

export async function pingDatabase(database: Database): Promise<void> {
  await database.sql`select 1`;
}
