import { ApplicationFailure } from '@temporalio/common';
import type { Database, Db } from '../db/client.js';
import { domainUnverified, unverifiedDomains } from '../domain/domainClaims.js';
import type { Mailer } from '../domain/mail/outbox.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';

export interface ActivityDeps {
  database: Database;
  mailer: Mailer;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** The HMAC key of approval links (domain/approvals.ts). */
  approvalSecret: string;
}

/** Bad input is refused for good (never retried): the Update that ran the activity reports it as a 4xx. */
export const badInput = (message: string, type: string, details?: unknown) =>
  ApplicationFailure.create({ message, type, nonRetryable: true, details: details === undefined ? [] : [details] });

/** Domains not yet proven the customer's refuse any step that would move their users. */
export async function requireVerifiedDomains(db: Db, onboardingId: string): Promise<void> {
  const unverified = await unverifiedDomains(db, onboardingId);
  if (unverified.length === 0) return;
  const refusal = domainUnverified(unverified);
  throw badInput(refusal.message, refusal.code, unverified);
}
