import { afterAll, describe, expect, it } from 'vitest';
import { claimApproval, issueApproval, releaseApproval } from '../../domain/approvals.js';
import { hex, newOnboarding, newUserSid } from '../support/activity-env.js';
import { approvalSecret, testDatabase } from '../support/deps.js';

const database = testDatabase();
afterAll(async () => {
  await database.close();
});

async function link() {
  const { onboardingId } = await newOnboarding(database);
  const tokenId = `apr_${hex(16)}`;
  await issueApproval(database.db, {
    tokenId,
    onboardingId,
    step: 'migration_list',
    approverEmail: 'admin@example.test',
    subjectVersion: 1,
    expiresAt: new Date(Date.now() + 3600_000),
    secret: approvalSecret,
    publicBaseUrl: 'http://localhost',
    now: new Date(),
  });
  return tokenId;
}

const storedFor = async (tokenId: string) =>
  (await database.sql<{ user_sid: string }[]>`select user_sid from approval_exclusions where token_id = ${tokenId} order by user_sid`).map(
    (r) => r.user_sid,
  );

describe('the exclusions of a decision', () => {
  it('are stored against the link when it is claimed', async () => {
    const tokenId = await link();
    const excludes = [newUserSid(), newUserSid(), newUserSid()];

    expect(await claimApproval(database.db, tokenId, 'approve', new Date(), excludes)).toBe(true);

    expect(await storedFor(tokenId)).toEqual([...excludes].sort());
  });

  it('are not stored by a claim that loses', async () => {
    const tokenId = await link();
    const first = [newUserSid()];
    await claimApproval(database.db, tokenId, 'approve', new Date(), first);

    expect(await claimApproval(database.db, tokenId, 'reject', new Date(), [newUserSid(), newUserSid()])).toBe(false);

    expect(await storedFor(tokenId)).toEqual(first);
  });

  it('are deleted when the link is given back', async () => {
    const tokenId = await link();
    await claimApproval(database.db, tokenId, 'approve', new Date(), [newUserSid(), newUserSid()]);

    await releaseApproval(database.db, tokenId);

    expect(await storedFor(tokenId)).toEqual([]);
    expect(await claimApproval(database.db, tokenId, 'approve', new Date(), [])).toBe(true);
  });
});
