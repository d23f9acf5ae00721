import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { createDatabase } from '../db/client.js';
import { purgeExpired } from '../domain/housekeeping.js';
import { createRefusalAudit } from '../domain/loginAudit.js';
import { systemClock } from '../lib/clock.js';
import { ConfigError, loadConfig, requireSetting } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createMetrics } from '../lib/metrics.js';
import { surviveDriverConnectionLoss } from '../lib/process.js';
import { approvalLinkSecret } from '../domain/approvals.js';
import { lazyTemporal } from '../lib/temporal.js';
import { createApp } from './app.js';

function superviseWorkers(count: number, logger: ReturnType<typeof createLogger>) {
  for (let i = 0; i < count; i++) cluster.fork();
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, 'api worker died; starting another');
    cluster.fork();
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main() {
  const config = loadConfig();
  const logger = createLogger(config, 'api');
  surviveDriverConnectionLoss(logger);
  if (config.apiWorkers > 1 && cluster.isPrimary) {
    logger.info({ workers: config.apiWorkers }, 'starting api workers');
    superviseWorkers(config.apiWorkers, logger);
    return;
  }
  const databaseUrl = requireSetting(config.databaseUrl, 'DATABASE_URL', 'for the API');
  requireSetting(config.supportApiToken, 'SUPPORT_API_TOKEN', 'for the API (the support endpoints need it)');
  const database = createDatabase(databaseUrl, { max: config.databasePoolSize, applicationName: 'sso-onboarding-api' });
  const temporal = lazyTemporal(config.temporal);
  const metrics = createMetrics();
  const refusalAudit = createRefusalAudit(database.db, metrics, {
    onError: (error, lost) => logger.error({ err: error, lost }, 'could not record login refusals'),
  });
  const app = createApp({
    config,
    database,
    temporal: temporal.get,
    logger,
    metrics,
    refusalAudit,
    clock: systemClock,
    approvalSecret: await approvalLinkSecret(database.db, config.approvalLinkSecret),
  });

  const server = app.listen(config.port, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ port, publicBaseUrl: config.publicBaseUrl }, 'api listening');
  });
  server.keepAliveTimeout = 65_000;
  const housekeeping = setInterval(() => {
    purgeExpired(database.db, systemClock.now())
      .then((purged) => logger.debug({ purged }, 'housekeeping'))
      .catch((error: unknown) => logger.warn({ err: error }, 'housekeeping failed'));
  }, 10 * 60_000);
  housekeeping.unref();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'api stopping');
    server.close(async () => {
      // Refusal audit events still buffered are written before the pool closes.
      await refusalAudit.flush().catch(() => {});
      await Promise.allSettled([database.close(), temporal.close()]);
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
