// A failure of PostgreSQL is named as one (503 database_unavailable) on the API and on the dashboard's
// pages, never blamed on Temporal and never a bare 500. The failure is real: a table this page reads is
// dropped from a database of this test's own, so no other test is disturbed.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client.js';
import { migrateDatabase } from '../../db/migrate.js';
import { onboardings } from '../../db/schema.js';
import { supportToken } from '../support/deps.js';
import { type SamlTestApp, startSamlTestApp } from '../support/saml-app.js';

const admin = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
const name = `sso_dberr_${process.pid}_${Date.now()}`;
let database: Database;
let app: SamlTestApp;
let cookie: string;
const onboardingId = `ob_${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  await admin.unsafe(`create database ${name}`);
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  database = createDatabase(url.toString(), { max: 2, applicationName: 'sso-onboarding-test-dberr' });
  app = await startSamlTestApp(database);
  await database.db.insert(onboardings).values({
    id: onboardingId,
    workflowId: `onboarding-${onboardingId}`,
    customerName: 'Broken Database Co',
    adminEmail: 'it@broken.test',
    emailDomains: ['broken.test'],
    options: {},
  });
  const signIn = await fetch(`${app.baseUrl}/support/session`, {
    method: 'POST',
    body: new URLSearchParams({ token: supportToken, next: '/support' }),
    headers: { origin: app.baseUrl },
    redirect: 'manual',
  });
  expect(signIn.status).toBe(303);
  cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
});

const page = () => fetch(`${app.baseUrl}/support/onboardings/${onboardingId}`, { headers: { cookie, accept: 'text/html' } });
const api = () =>
  fetch(`${app.baseUrl}/api/onboardings/${onboardingId}`, {
    headers: { authorization: `Bearer ${supportToken}`, accept: 'application/json' },
  });

describe('when PostgreSQL fails a query', () => {
  it('shows the onboarding while the database answers', async () => {
    expect((await page()).status).toBe(200);
    expect((await api()).status).toBe(200);
  });

  it('answers the dashboard page and the API with 503 database_unavailable, not Temporal', async () => {
    await database.sql`drop table pilot_users`;

    const [shown, answered] = [await page(), await api()];

    expect(shown.status).toBe(503);
    const text = await shown.text();
    expect(text).toContain('database_unavailable');
    expect(text).not.toMatch(/temporal/i);
    expect(answered.status).toBe(503);
    expect(((await answered.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
  });
});
