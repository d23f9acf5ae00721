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

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    // A dead connection (server restarted, backend terminated) is dropped and replaced on next use.
    idle_timeout: 30,
    connect_timeout: 10,
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
