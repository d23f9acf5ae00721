// What the onboarding routes share: their path parameters, their refusals as documented, and the guard
// that pilot users and migration lists wait for the customer's domains.
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { domainUnverified, unverifiedDomains } from '../../domain/domainClaims.js';
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

/** Pilot users and migration lists move real users: only once the customer has shown it owns every domain. */
export async function requireVerifiedDomains(database: Database, id: string) {
  await findOnboarding(database.db, id);
  const unverified = await unverifiedDomains(database.db, id);
  if (unverified.length > 0) throw domainUnverified(unverified);
}
