import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { type ApiDeps, composeApiDeps } from '../../api/deps.js';
import { createDatabase, type Database } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { type Config, loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { connectTemporal } from '../../lib/temporal.js';

export const supportToken = 'test-support-token-0123456789';
export const approvalSecret = 'test-approval-link-secret-0123456789abcdef';

export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${Math.random().toString(36).slice(2, 10)}`,
    SUPPORT_API_TOKEN: supportToken,
    APPROVAL_LINK_SECRET: approvalSecret,
    PUBLIC_BASE_URL: 'http://localhost:3000',
    // No DNS server listens there: a domain check answers dns_lookup_failed at once, never the machine's resolvers.
    // test/api/domainClaims.test.ts points it at a real one on loopback.
    DNS_RESOLVER: '127.0.0.1:1',
    ...overrides,
  });
}

export function testDatabase(): Database {
  return createDatabase(inject('databaseUrl'), { max: 5, applicationName: 'sso-onboarding-test' });
}

export const fixedClock = (at: Date): Clock => ({ now: () => at });

/** The same dependency graph the API process builds (api/deps.ts), on the run's real PostgreSQL and Temporal. */
export function testApiDeps(config: Config, database: Database, overrides: Partial<ApiDeps> = {}) {
  const { deps, close } = composeApiDeps(config, { database, approvalSecret, logger: createLogger(config, 'test'), ...overrides });
  // Closes Temporal after writing the refusal audit still queued; the database stays the test's.
  return { deps, app: createApp(deps), closeTemporal: close };
}

export { connectTemporal };
