import { approvalActivities } from './approvals.js';
import { certificateActivities } from './certificates.js';
import { connectionActivities } from './connection.js';
import type { ActivityDeps } from './deps.js';
import { lifecycleActivities } from './lifecycle.js';
import { migrationListActivities } from './migrationList.js';
import { pilotActivities } from './pilot.js';
import { rolloutActivities } from './rollout.js';

export type { ActivityDeps } from './deps.js';

/**
 * The activities object the worker registers, composed from one factory per area; every dependency
 * comes in, so tests build the same graph. Activity names are part of running workflows' histories:
 * a name here never changes.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...lifecycleActivities(deps),
    ...connectionActivities(deps),
    ...pilotActivities(deps),
    ...approvalActivities(deps),
    ...migrationListActivities(deps),
    ...rolloutActivities(deps),
    ...certificateActivities(deps),
  };
}

export type OnboardingActivities = ReturnType<typeof createActivities>;
