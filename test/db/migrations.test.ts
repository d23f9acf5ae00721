import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../db/client.js';
import { startEmbeddedPostgres } from '../../db/embedded.js';
import { migrateDatabase } from '../../db/migrate.js';

const expectedTables = [
  'accounts',
  'approval_tokens',
  'audit_events',
  'connection_certificates',
  'consumed_assertions',
  'mail_outbox',
  'memberships',
  'migration_list_entries',
  'migration_lists',
  'onboardings',
  'saml_requests',
  'sessions',
  'sso_connections',
  'users',
];

async function tablesOf(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
    return rows.map((r) => r.table_name);
  } finally {
    await sql.end();
  }
}

/** Behaviour the schema itself must enforce, checked the same way on both databases. */
async function checkConstraints(url: string) {
  const database = createDatabase(url, { max: 1 });
  const { sql } = database;
  try {
    const sid = `US${'a'.repeat(32)}`;
    await sql`insert into users (sid, email) values (${sid}, 'Ann@Example.com')`;
    await expect(sql`insert into users (sid, email) values (${`US${'b'.repeat(32)}`}, 'ann@example.COM')`).rejects.toThrow(
      /users_email_lower_uq/,
    );
    await expect(sql`insert into users (sid, email) values ('US123', 'x@example.com')`).rejects.toThrow(/users_sid_format/);
    await expect(sql`update users set sso_state = 'enabled' where sid = ${sid}`).rejects.toThrow(/users_sso_needs_connection/);
    await sql`insert into consumed_assertions (connection_id, assertion_id, expires_at) values ('c1', '_a1', now())`;
    await expect(
      sql`insert into consumed_assertions (connection_id, assertion_id, expires_at) values ('c1', '_a1', now())`,
    ).rejects.toThrow(/duplicate key/);
  } finally {
    await database.close();
  }
}

describe('migrations on a real PostgreSQL server', () => {
  const admin = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
  const name = `sso_migrate_${process.pid}_${Date.now()}`;
  let url: string;

  beforeAll(async () => {
    await admin.unsafe(`create database ${name}`);
    const u = new URL(inject('adminDatabaseUrl'));
    u.pathname = `/${name}`;
    url = u.toString();
  });
  afterAll(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('creates every table of the schema on an empty database', async () => {
    await migrateDatabase(url);
    expect((await tablesOf(url)).filter((t) => expectedTables.includes(t))).toEqual(expectedTables);
  });

  it('is a no-op when applied again, also from two processes at once', async () => {
    await Promise.all([migrateDatabase(url), migrateDatabase(url)]);
    const sql = postgres(url, { max: 1 });
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    await sql.end();
    expect(row?.n).toBeGreaterThan(0);
    expect((await tablesOf(url)).filter((t) => expectedTables.includes(t))).toEqual(expectedTables);
  });

  it('enforces email uniqueness case-insensitively, the SID format and a connection for SSO users', async () => {
    await checkConstraints(url);
  });
});

describe('migrations on the embedded PostgreSQL of npm run dev', () => {
  it('apply and enforce the same constraints', async () => {
    const embedded = await startEmbeddedPostgres();
    try {
      await migrateDatabase(embedded.url);
      expect((await tablesOf(embedded.url)).filter((t) => expectedTables.includes(t))).toEqual(expectedTables);
      await checkConstraints(embedded.url);
    } finally {
      await embedded.close();
    }
  });
});
