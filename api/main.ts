import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { purgeExpired } from '../domain/housekeeping.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { surviveDriverConnectionLoss } from '../lib/process.js';
import { createApp } from './app.js';
import { buildApiDeps } from './deps.js';

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
  const { deps, close } = await buildApiDeps(config, { logger });
  const app = createApp(deps);

  const server = app.listen(config.port, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ port, publicBaseUrl: config.publicBaseUrl }, 'api listening');
  });
  server.keepAliveTimeout = 65_000;
  const housekeeping = setInterval(() => {
    purgeExpired(deps.database.db, deps.clock.now())
      .then((purged) => logger.debug({ purged }, 'housekeeping'))
      .catch((error: unknown) => logger.warn({ err: error }, 'housekeeping failed'));
  }, 10 * 60_000);
  housekeeping.unref();
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'api stopping');
    server.close(async () => {
      // The refusal audit still queued is written before the pool closes.
      await close();
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
