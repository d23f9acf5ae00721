import { enablePilotUsers, revertPilotUsers } from '../domain/pilot.js';
import { removePilotUsers } from '../domain/pilotRemoval.js';
import { type ActivityDeps, requireVerifiedDomains } from './deps.js';

/** The pilot: a few named users switched on before anyone else, and off again on a full revert. */
export function pilotActivities({ database, clock }: ActivityDeps) {
  const { db, sql } = database;
  return {
    /** Only once the onboarding's domains are verified: until then nobody's address is proven the customer's. */
    async enablePilotUsers(input: { onboardingId: string; connectionId: string; emails: string[] }) {
      await requireVerifiedDomains(db, input.onboardingId);
      return await enablePilotUsers(db, { ...input, now: clock.now() });
    },

    /** Support takes users back out of the pilot; those it switched on go back to no SSO. */
    async removePilotUsers(input: { onboardingId: string; connectionId: string; userSids: string[]; reason: string }) {
      return await removePilotUsers(db, { ...input, actor: 'support', now: clock.now() });
    },

    /** Cancel with revertTo none, after the list's revert: the pilot users this onboarding switched on go back to no SSO. */
    async revertPilotUsers(input: { onboardingId: string; connectionId: string }) {
      return await revertPilotUsers(sql, input);
    },
  };
}
