import type { Database } from '../db/client.js';
import type { RefusalAudit } from '../domain/loginAudit.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { TemporalClient } from '../lib/temporal.js';

export interface ApiDeps {
  config: Config;
  database: Database;
  /** Resolves to a connected client; the API starts and serves logins while Temporal is down. */
  temporal: () => Promise<TemporalClient>;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** HMAC key of approval links (domain/approvals.ts). */
  approvalSecret: string;
  /** Batched audit of ACS refusals; createApp makes one when absent. Pass one to flush it on shutdown. */
  refusalAudit?: RefusalAudit;
}
