import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { searchAttributeTypes } from '../contract/onboarding.js';
import { createDatabase } from '../db/client.js';
import { approvalLinkSecret } from '../domain/approvals.js';
import { startCertificateLifecycles } from '../domain/certificateLifecycleStart.js';
import { createMailer } from '../domain/mail/outbox.js';
import { systemClock } from '../lib/clock.js';
import { ConfigError, loadConfig, requireSetting } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { surviveDriverConnectionLoss } from '../lib/process.js';
import { connectTemporal, ensureSearchAttributes, temporalTls } from '../lib/temporal.js';
import { createOnboardingWorker } from './createWorker.js';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config, 'worker');
  surviveDriverConnectionLoss(logger);
  const databaseUrl = requireSetting(config.databaseUrl, 'DATABASE_URL', 'for the worker');
  const database = createDatabase(databaseUrl, { max: config.databasePoolSize, applicationName: 'sso-onboarding-worker' });

  const mailer = createMailer({ database, config, logger, clock: systemClock });
  const admin = await connectTemporal(config.temporal);
  const added = await ensureSearchAttributes(admin.connection, config.temporal.namespace, searchAttributeTypes);
  if (added.length > 0) logger.info({ added }, 'registered search attributes');
  // Connections saved before the certificate lifecycle existed (or while starting one failed) get theirs;
  // those running already are left as they are.
  const watched = await startCertificateLifecycles(admin.client, database.db, config.temporal.taskQueue);
  logger.info({ connections: watched }, 'certificate lifecycles running');
  await admin.close();

  const t = config.temporal;
  const connection = await NativeConnection.connect({
    address: t.address,
    apiKey: t.apiKey,
    tls: await temporalTls(t),
  });
  const worker = await createOnboardingWorker({
    connection,
    config,
    activities: createActivities({
      database,
      mailer,
      clock: systemClock,
      config,
      logger,
      approvalSecret: await approvalLinkSecret(database.db, config.approvalLinkSecret),
    }),
  });
  logger.info({ taskQueue: t.taskQueue, namespace: t.namespace, address: t.address }, 'worker started');
  try {
    // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has.
    await worker.run();
  } finally {
    await connection.close();
    await mailer.close();
    await database.close();
    logger.info('worker stopped');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
