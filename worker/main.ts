import { readFile } from 'node:fs/promises';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createDatabase } from '../db/client.js';
import { createMailer } from '../domain/mail/outbox.js';
import { systemClock } from '../lib/clock.js';
import { ConfigError, loadConfig, requireSetting } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { surviveDriverConnectionLoss } from '../lib/process.js';
import { approvalLinkSecret } from '../domain/approvals.js';
import { connectTemporal, ensureSearchAttributes } from '../lib/temporal.js';
import { createOnboardingWorker } from './createWorker.js';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config, 'worker');
  surviveDriverConnectionLoss(logger);
  const databaseUrl = requireSetting(config.databaseUrl, 'DATABASE_URL', 'for the worker');
  const database = createDatabase(databaseUrl, { max: config.databasePoolSize, applicationName: 'sso-onboarding-worker' });

  const mailer = createMailer({ database, config, logger, clock: systemClock });
  const admin = await connectTemporal(config.temporal);
  const added = await ensureSearchAttributes(admin.connection, config.temporal.namespace);
  if (added.length > 0) logger.info({ added }, 'registered search attributes');
  await admin.close();

  const t = config.temporal;
  const connection = await NativeConnection.connect({
    address: t.address,
    apiKey: t.apiKey,
    tls: t.tls
      ? t.tlsCertPath && t.tlsKeyPath
        ? { clientCertPair: { crt: await readFile(t.tlsCertPath), key: await readFile(t.tlsKeyPath) } }
        : true
      : false,
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
