// A fresh, migrated database per benchmark run, so figures never depend on what an earlier run or
// a developer left behind, and the data the API reads is exactly what the benchmark put there.
import postgres from 'postgres';
import { createDatabase, type Database } from '../../db/client.js';
import { migrateDatabase } from '../../db/migrate.js';
import { runOnce, untilDone } from './cleanup.js';

export interface BenchDatabase {
  name: string;
  url: string;
  database: Database;
  drop(): Promise<void>;
}

export const adminDatabaseUrl = () =>
  process.env.BENCH_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const adminUrl = adminDatabaseUrl();
  const name = `sso_bench_${process.pid}_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    await migrateDatabase(url.toString());
  } catch (error) {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    throw error;
  }
  const database = createDatabase(url.toString(), { max: 4, applicationName: 'sso-onboarding-bench' });
  const drop = runOnce(async () => {
    done();
    await database.close().catch(() => {});
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const done = untilDone(drop);
  return { name, url: url.toString(), database, drop };
}

/**
 * `count` users on file with SSO enabled on the connection, in one set-based insert. Emails are
 * `user<n>@<domain>`, n from 1; sids follow the `US` + 32 hex format the schema checks.
 */
export async function insertSsoUsers(database: Database, connectionId: string, domain: string, count: number): Promise<string[]> {
  await database.sql`
    insert into users (sid, email, sso_state, connection_id)
    select 'US' || md5(${connectionId} || ':' || n), 'user' || n || '@' || ${domain}, 'enabled', ${connectionId}
    from generate_series(1, ${count}::int) as n`;
  await database.sql`analyze users`;
  return Array.from({ length: count }, (_, i) => `user${i + 1}@${domain}`);
}
