import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, inject } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { Database } from '../../db/client.js';
import { createMailer } from '../../domain/mail/outbox.js';
import { createLogger } from '../../lib/logger.js';
import { freePort } from '../../lib/ports.js';
import { createOnboardingWorker } from '../../worker/createWorker.js';
import { approvalSecret, testApiDeps, testConfig, testDatabase } from './deps.js';
import { startedForFile } from './fixture.js';
import { listen, type TestServer } from './http.js';
import { type SupportApi, supportApi } from './onboarding-http.js';
import { type SmtpSink, startSmtpSink } from './smtp.js';

export interface OnboardingTestEnv {
  baseUrl: string;
  smtp: SmtpSink;
  server: TestServer;
  /** Support's API calls (supportApi of onboarding-http.ts). */
  api: SupportApi;
  waitForStage(id: string, stage: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  client(): Promise<Client>;
  close(): Promise<void>;
}

/**
 * For a test file: its database, and API and worker on it as startOnboardingEnv starts them, from beforeAll
 * to afterAll, when both are closed. `env` stands for the started environment from the first test on.
 */
export function useOnboardingEnv(settings: NodeJS.ProcessEnv = {}): { database: Database; env: OnboardingTestEnv } {
  const database = testDatabase();
  // Declared first, so it runs last: after the worker and the API have closed.
  afterAll(async () => {
    await database.close();
  });
  const env = startedForFile(
    'the environment of useOnboardingEnv()',
    () => startOnboardingEnv(database, settings),
    (started) => started.close(),
  );
  return { database, env };
}

/** API and worker wired as in production, on the run's PostgreSQL and Temporal, with a real SMTP sink. */
export async function startOnboardingEnv(database: Database, env: NodeJS.ProcessEnv = {}): Promise<OnboardingTestEnv> {
  const smtp = await startSmtpSink();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = testConfig({ PUBLIC_BASE_URL: baseUrl, SMTP_URL: smtp.url, ALLOW_PRIVATE_IDP_URLS: 'true', ...env });
  const built = testApiDeps(config, database);
  const server = await listen(built.app, port);
  const logger = createLogger(config, 'test-worker');
  const mailer = createMailer({ database, config, logger, clock: { now: () => new Date() } });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker: Worker = await createOnboardingWorker({
    connection,
    config,
    activities: createActivities({ database, mailer, clock: { now: () => new Date() }, config, logger, approvalSecret }),
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  const running = worker.run();

  const api = supportApi(baseUrl);

  async function waitForStage(id: string, stage: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      const res = await api<Record<string, unknown>>(`GET`, `/api/onboardings/${id}`);
      last = res.body;
      if (last.stage === stage) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `onboarding ${id} did not reach ${stage} within ${timeoutMs} ms; it is ${JSON.stringify(last.stage)} with problems ${JSON.stringify(last.problems)}`,
    );
  }

  return {
    baseUrl,
    smtp,
    server,
    api,
    waitForStage,
    client: async () => (await built.deps.temporal()).client,
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await mailer.close();
      await server.close();
      await built.closeTemporal();
      await smtp.close();
    },
  };
}
