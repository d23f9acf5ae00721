// Temporal for the workflow benchmarks: an in-memory dev server on a free port, a Worker in this
// process wired as worker/main.ts wires it (createActivities + createOnboardingWorker), and a client.
// Mail goes to the outbox and is logged (no SMTP_URL), so nothing waits on a mail server.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { searchAttributeTypes } from '../../contract/onboarding.js';
import type { Database } from '../../db/client.js';
import { createMailer } from '../../domain/mail/outbox.js';
import { type Config, loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { freePort } from '../../lib/ports.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../lib/temporal-dev-server.js';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import { createOnboardingWorker } from '../../worker/createWorker.js';
import { runOnce, untilDone } from './cleanup.js';

export interface BenchTemporal {
  config: Config;
  client: Client;
  worker: Worker;
  server: TemporalDevServer;
  stop(): Promise<void>;
}

let runtimeInstalled = false;
const approvalSecret = 'bench-approval-link-secret-0123456789abcdef';

export async function startBenchTemporal(database: Database, log: (message: string) => void): Promise<BenchTemporal> {
  if (!runtimeInstalled) {
    // The SDK's own logs at warn: a benchmark's output is its figures.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  // Test mode only for ALLOW_PRIVATE_IDP_URLS (production refuses it): the bench IdP's SSO URL is on
  // loopback, so validating it needs no DNS or network, as in the test suite.
  const configFor = (address: string) =>
    loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: 'sso-onboarding-bench',
      PUBLIC_BASE_URL: 'http://127.0.0.1:1',
      APPROVAL_LINK_SECRET: approvalSecret,
      ALLOW_PRIVATE_IDP_URLS: 'true',
    });
  configFor('127.0.0.1:7233'); // fails before anything is started if the configuration is refused
  const cliPath = ensureTemporalCli(log);
  const port = await freePort();
  log(`starting an in-memory Temporal dev server on port ${port}`);
  const server = await startTemporalDevServer({ cliPath, port, searchAttributes: searchAttributeTypes });
  const stopServer = untilDone(server.stop);
  const config = configFor(server.address);
  const logger = createLogger(config, 'bench-worker');
  const clock = { now: () => new Date() };
  const mailer = createMailer({ database, config, logger, clock });
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker;
  let running: Promise<void>;
  let connection: Connection;
  try {
    nativeConnection = await NativeConnection.connect({ address: server.address });
    log('bundling the workflows and starting the worker');
    worker = await createOnboardingWorker({
      connection: nativeConnection,
      config,
      activities: createActivities({ database, mailer, clock, config, logger, approvalSecret }),
    });
    running = worker.run();
    connection = await Connection.connect({ address: server.address });
  } catch (error) {
    await nativeConnection?.close().catch(() => {});
    await mailer.close().catch(() => {});
    stopServer();
    await server.stop();
    throw error;
  }
  stopServer();
  const client = new Client({ connection, namespace: config.temporal.namespace });

  let done = () => {};
  const stop = runOnce(async () => {
    done();
    worker.shutdown();
    await running.catch((error: unknown) => console.error('worker:', error));
    await nativeConnection.close();
    await connection.close();
    await mailer.close();
    await server.stop();
  });
  done = untilDone(stop);
  return { config, client, worker, server, stop };
}
