import { ApplicationFailure } from '@temporalio/common';
import type { Database, Db } from '../db/client.js';
import { requireVerifiedDomains as requireDomainsVerified } from '../domain/domainClaims.js';
import type { Mailer } from '../domain/mail/outbox.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
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

/** Domains not yet proven the customer's refuse any step that would move their users, for good (not retried). */
export async function requireVerifiedDomains(db: Db, onboardingId: string): Promise<void> {
  try {
    await requireDomainsVerified(db, onboardingId);
  } catch (error) {
    if (error instanceof AppError) throw badInput(error.message, error.code, error.details);
    throw error;
  }
}
