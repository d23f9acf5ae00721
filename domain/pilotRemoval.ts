import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { pilotUsers, users } from '../db/schema.js';
import { recordAuditEvent } from './audit.js';

export interface PilotRemoval {
  onboardingId: string;
  connectionId: string;
  userSids: string[];
  reason: string;
  actor: string;
  now: Date;
}

/**
 * Takes users out of an onboarding's pilot. A user the pilot switched on (they had no SSO before) and
 * who is still only enabled on this connection goes back to no SSO, as a cancel with revertTo none
 * would do for the whole pilot; anyone else keeps the state they have. One transaction, audited.
 */
export async function removePilotUsers(db: Db, input: PilotRemoval): Promise<{ removed: string[]; reverted: string[] }> {
  if (input.userSids.length === 0) return { removed: [], reverted: [] };
  return await db.transaction(async (tx) => {
    const removed = await tx
      .delete(pilotUsers)
      .where(and(eq(pilotUsers.onboardingId, input.onboardingId), inArray(pilotUsers.userSid, input.userSids)))
      .returning({ sid: pilotUsers.userSid, enabledByPilot: pilotUsers.enabledByPilot });
    const switchedOn = removed.filter((r) => r.enabledByPilot).map((r) => r.sid);
    const reverted =
      switchedOn.length === 0
        ? []
        : await tx
            .update(users)
            .set({ ssoState: 'none', connectionId: null, updatedAt: input.now })
            .where(and(inArray(users.sid, switchedOn), eq(users.connectionId, input.connectionId), eq(users.ssoState, 'enabled')))
            .returning({ sid: users.sid });
    for (const { sid } of reverted)
      await recordAuditEvent(tx, {
        type: 'user.sso_reverted',
        actor: input.actor,
        userSid: sid,
        connectionId: input.connectionId,
        onboardingId: input.onboardingId,
        detail: { pilot: true, to: 'none', removedFromPilot: true },
        at: input.now,
      });
    await recordAuditEvent(tx, {
      type: 'onboarding.pilot_users_removed',
      actor: input.actor,
      connectionId: input.connectionId,
      onboardingId: input.onboardingId,
      detail: { userSids: removed.map((r) => r.sid), reason: input.reason },
      at: input.now,
    });
    return { removed: removed.map((r) => r.sid), reverted: reverted.map((r) => r.sid) };
  });
}
