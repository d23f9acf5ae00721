// The API's composition root: every dependency the routes use is built here, once per app, and passed in.
// Nothing the API needs lives in a module-level variable, so two apps in one process share nothing.
import { createDatabase, type Database } from '../db/client.js';
import { approvalLinkSecret } from '../domain/approvals.js';
import { type ConnectionCache, createConnectionCache } from '../domain/connections.js';
import { createRefusalAudit, type RefusalAudit } from '../domain/loginAudit.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { type Config, requireSetting } from '../lib/config.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import { lazyTemporal, type TemporalClient } from '../lib/temporal.js';

export interface ApiDeps {
  config: Config;
  database: Database;
  /** Resolves to a connected client; the API starts and serves logins while Temporal is down. */
  temporal: () => Promise<TemporalClient>;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** HMAC key of approval links (`approvalLinkSecret` in domain/approvals.ts). */
  approvalSecret: string;
  /** The ACS's short-lived cache of connections (domain/connections.ts). */
  connections: ConnectionCache;
  /** Batched audit of ACS refusals; `close()` of the built deps writes what is still queued. */
  refusalAudit: RefusalAudit;
}

export interface BuiltApiDeps {
  deps: ApiDeps;
  /** Writes the refusal audit still queued, then closes the Temporal connection, and the database if it was opened here. */
  close(): Promise<void>;
}

/** Parts a caller brings instead of having them built; tests bring their database, logger and secret. */
export type GivenApiDeps = Partial<Omit<ApiDeps, 'config'>>;

/**
 * The API process's dependencies from its configuration: opens the database, reads (or makes) the
 * approval-link secret, and builds the rest with `composeApiDeps`.
 */
export async function buildApiDeps(config: Config, given: GivenApiDeps = {}): Promise<BuiltApiDeps> {
  const databaseUrl = requireSetting(config.databaseUrl, 'DATABASE_URL', 'for the API');
  requireSetting(config.supportApiToken, 'SUPPORT_API_TOKEN', 'for the API (the support endpoints need it)');
  const database = given.database ?? createDatabase(databaseUrl, { max: config.databasePoolSize, applicationName: 'sso-onboarding-api' });
  const approvalSecret = given.approvalSecret ?? (await approvalLinkSecret(database.db, config.approvalLinkSecret));
  const built = composeApiDeps(config, { ...given, database, approvalSecret });
  if (given.database) return built;
  return {
    deps: built.deps,
    async close() {
      await built.close();
      await database.close().catch(() => {});
    },
  };
}

/**
 * Everything `buildApiDeps` builds once the database and the approval secret are at hand, without I/O:
 * the lazy Temporal client, logger, metrics, clock, connection cache and refusal audit. Tests build
 * their apps with it (test/support/deps.ts), on their own database.
 */
export function composeApiDeps(config: Config, given: GivenApiDeps & Pick<ApiDeps, 'database' | 'approvalSecret'>): BuiltApiDeps {
  const temporal = lazyTemporal(config.temporal);
  const logger = given.logger ?? createLogger(config, 'api');
  const metrics = given.metrics ?? createMetrics();
  const deps: ApiDeps = {
    config,
    temporal: temporal.get,
    logger,
    metrics,
    clock: systemClock,
    connections: createConnectionCache(),
    // One per app (kept in its deps), not per module, so apps in one process do not share one.
    refusalAudit:
      given.refusalAudit ??
      createRefusalAudit(given.database.db, metrics, {
        onError: (error, lost) => logger.error({ err: error, lost }, 'could not record login refusals'),
      }),
    ...given,
  };
  return {
    deps,
    async close() {
      // Refusal audit events still buffered are written before the pool closes.
      await deps.refusalAudit.flush().catch(() => {});
      await temporal.close().catch(() => {});
    },
  };
}

/** What the SP's SAML code needs of the API (ACS, metadata, test sign-ins): one reading of the config. */
export const samlOptions = (deps: Pick<ApiDeps, 'database' | 'config' | 'clock'>) => ({
  db: deps.database.db,
  publicBaseUrl: deps.config.publicBaseUrl,
  clockSkewMs: deps.config.samlClockSkewMs,
  maxAssertionAgeMs: deps.config.samlMaxAssertionAgeMs,
  now: () => deps.clock.now(),
});
