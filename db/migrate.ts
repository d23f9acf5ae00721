import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { createDatabase } from './client.js';

// Beside this module from sources and from dist/ alike: the build copies db/migrations next to dist/db/migrate.js.
export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies every committed migration not yet applied; safe to run concurrently from several processes. */
export async function migrateDatabase(url: string): Promise<void> {
  const database = createDatabase(url, { max: 1, applicationName: 'sso-onboarding-migrate' });
  try {
    // Two processes starting together must not both apply the same migration.
    await database.sql`select pg_advisory_lock(7262781634)`;
    await migrate(database.db, { migrationsFolder });
  } finally {
    await database.sql`select pg_advisory_unlock(7262781634)`.catch(() => {});
    await database.close();
  }
}
