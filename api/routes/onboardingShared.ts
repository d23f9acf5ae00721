// What the onboarding routes share: their path parameters, their refusals as documented, and the guard
// that pilot users and migration lists wait for the customer's domains.
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { requireVerifiedDomains as requireDomainsVerified } from '../../domain/domainClaims.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { errorAnswer } from '../apiRoute.js';
import { domainParam } from '../schemas.js';

export const onboardingNotFound = errorAnswer('not_found: no onboarding with this ID');
export const refused = errorAnswer(
  'wrong_stage (or another refusal of the workflow, named by `code`): the onboarding is not at a stage that allows this',
);
export const domainUnverifiedOrWrongStage = errorAnswer("domain_unverified: a domain's ownership is not verified yet; or wrong_stage");
export const noSuchList = errorAnswer('not_found: no such list');
export const onboardingParams = z.object({
  id: z.string().meta({ description: 'Onboarding ID', example: 'ob_0123456789abcdef01234567' }),
});
export const domainParams = onboardingParams.extend({ domain: domainParam });
export const listParams = z.object({
  listId: z.string().meta({ description: 'Migration list ID', example: 'ml_0123456789abcdef01234567' }),
});

/** The onboarding must exist (404), then its domains be verified (domain/domainClaims.ts). */
export async function requireVerifiedDomains(database: Database, id: string) {
  await findOnboarding(database.db, id);
  await requireDomainsVerified(database.db, id);
}
